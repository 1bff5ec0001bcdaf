"""tests/citus/ checks the cluster itself; it runs only in the Citus pass (make test-citus
loads tests.citus.plugin), never in make test, where the database is a single node."""

from pathlib import Path

import pytest


def pytest_ignore_collect(collection_path: Path, config: pytest.Config) -> bool | None:
    if collection_path.name.startswith("test_") and not config.pluginmanager.has_plugin("tests.citus.plugin"):
        return True
    return None
