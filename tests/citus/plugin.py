"""The second test pass: the event store's suites against a Citus cluster.

``make test-citus`` starts a coordinator and two workers (scripts/citus.sh), points
DATABASE_URL at the coordinator and loads this plugin (``-p tests.citus.plugin``). Django
creates ``test_<name>`` only on the coordinator; Citus 12.1 does not propagate CREATE
DATABASE, and the citus extension and the registered workers live per database. So the
test database is made here first on every node, with the extension and the workers
registered (``scripts/citus.sh createdb``), and Django then migrates it as an existing
database (keepdb): tracking migration 0002 distributes ``tracking_event`` by learner.
At the end it is dropped on every node.

A test that cannot pass on Citus for a real reason carries
``@pytest.mark.not_on_citus(reason="...")``: here it runs as a strict xfail with that
reason (so the pass says so, and a fix makes it fail loudly until the mark goes).
"""

from __future__ import annotations

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]


def citus_sh(*args: str, port: int) -> None:
    env = {**os.environ, "CITUS_PORT": str(port)}
    subprocess.run(["bash", str(ROOT / "scripts" / "citus.sh"), *args], check=True, env=env, timeout=300)


def pytest_configure(config: pytest.Config) -> None:
    import psycopg
    from django.conf import settings

    db = settings.DATABASES["default"]
    dsn = f"host={db.get('HOST') or '127.0.0.1'} port={db.get('PORT') or 5432} user={db.get('USER') or 'postgres'} dbname=postgres"
    try:
        with psycopg.connect(dsn, connect_timeout=3) as conn:
            row = conn.execute("SELECT count(*) FROM pg_available_extensions WHERE name = 'citus'").fetchone()
            nodes = conn.execute(
                "SELECT count(*) FROM pg_dist_node WHERE noderole = 'primary' AND groupid > 0"
            )
            workers = nodes.fetchone()[0]
    except psycopg.Error as error:
        pytest.exit(
            f"The Citus pass needs a coordinator at DATABASE_URL (scripts/citus.sh start): {error}", 2
        )
    if not row[0] or not workers:
        pytest.exit("DATABASE_URL is not a Citus coordinator with workers: run scripts/citus.sh start.", 2)
    # Registered now, after pytest-django, so that its django_db_setup is the one used (a
    # plugin's fixture overrides those of plugins registered before it).
    config.pluginmanager.import_plugin("tests.citus.database")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    # `serial` tests stop and start the single node's PostgreSQL service (pg_ctlcluster ...
    # main), which is not the cluster and is shared with `make test`: never run here.
    serial = [item for item in items if item.get_closest_marker("serial")]
    if serial:
        config.hook.pytest_deselected(items=serial)
        items[:] = [item for item in items if not item.get_closest_marker("serial")]
        SERIAL_LEFT_OUT.extend(item.nodeid for item in serial)
    for item in items:
        mark = item.get_closest_marker("not_on_citus")
        if mark is not None:
            item.add_marker(pytest.mark.xfail(reason=f"not on Citus: {mark.kwargs['reason']}", strict=True))


SERIAL_LEFT_OUT: list[str] = []


def pytest_terminal_summary(terminalreporter) -> None:
    for nodeid in SERIAL_LEFT_OUT:
        terminalreporter.write_line(
            f"not run on Citus (serial: stops the single node's PostgreSQL): {nodeid}"
        )
