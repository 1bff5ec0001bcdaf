"""The data the export and API tests share: the curriculum and a small simulated cohort,
stored once per module (inside ``module_db``'s transaction, rolled back at the end)."""

from __future__ import annotations

from django.core.management import call_command
from django.utils import timezone

COURSE = "neural-networks-deep-learning"


def store_simulated_cohort() -> None:
    from analytics.rollups import rollups_update

    call_command("import_course", "--all", verbosity=0)
    call_command(
        "simulate_cohort", "--course", COURSE, "--learners", "20", "--days", "20", "--seed", "3",
        "--start", "2026-05-04", "--no-stats", verbosity=0,
    )  # fmt: skip
    rollups_update(until=timezone.now())
