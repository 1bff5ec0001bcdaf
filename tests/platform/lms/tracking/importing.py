"""``import_events`` as an analyst runs it, for the import tests."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from lms.tracking.services import catalog_index_forget


@pytest.fixture(autouse=True)
def fresh_catalog_index():
    """Each test starts from an empty catalog cache (tests roll back the rows it caches)."""
    catalog_index_forget()


def run(*args: str) -> str:
    """The command's printed summary (a failed import raises ``CommandError``)."""
    out = io.StringIO()
    call_command("import_events", *args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue()
