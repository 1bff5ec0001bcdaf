"""The test database on every node of the cluster (tests/citus/plugin.py registers this
module after pytest-django, so its django_db_setup replaces pytest-django's)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from tests.citus.plugin import citus_sh


@pytest.fixture(scope="session")
def django_db_setup(
    request, django_test_environment, django_db_blocker, django_db_modify_db_settings
) -> Iterator[None]:
    """pytest-django's own, with the test database made on every node first."""
    from django.db import connection, connections
    from django.test.utils import setup_databases

    name = connection.creation._get_test_db_name()
    port = int(connection.settings_dict.get("PORT") or 5432)
    citus_sh("dropdb", name, port=port)
    citus_sh("createdb", name, port=port)
    with django_db_blocker.unblock():
        setup_databases(verbosity=request.config.option.verbose, interactive=False, keepdb=True)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT count(*) FROM pg_dist_partition WHERE logicalrelid = 'tracking_event'::regclass"
            )
            assert cursor.fetchone()[0] == 1, "tracking migration 0002 did not distribute tracking_event"
    yield
    # Not Django's teardown: each node's Citus maintenance daemon keeps a connection to
    # the database, so only DROP DATABASE ... WITH (FORCE) removes it.
    connections.close_all()
    citus_sh("dropdb", name, port=port)
