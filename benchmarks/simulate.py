"""Simulating a cohort of 2,000 learners over 16 weeks (112 days) of the whole
specialization with ``simulate_cohort``: generation, storage through the ingestion
service and the grading records, then the calibration table. The cohort (seed 90210)
is deleted afterwards. ``CAIRN_BENCH_SIM_LEARNERS`` overrides the size."""

import datetime as dt
import io
import os
import time

from django.core.management import call_command
from django.db import connection

from lms.accounts.models import User
from lms.courses.models import Course
from lms.tracking.models import Event

LEARNERS = int(os.environ.get("CAIRN_BENCH_SIM_LEARNERS", "2000"))
DAYS = 112
SEED = 90210


def _cleanup() -> None:
    users = list(User.objects.filter(username__startswith=f"sim{SEED}-").values_list("id", flat=True))
    if users:
        with connection.cursor() as cursor:
            cursor.execute("DELETE FROM tracking_event WHERE learner_id = ANY(%s)", [users])
        User.objects.filter(id__in=users).delete()


def run() -> None:
    if not Course.objects.filter(external_source="").exists():
        call_command("import_course", "--all", stdout=io.StringIO())
    _cleanup()
    out = io.StringIO()
    start = dt.date.today() - dt.timedelta(days=DAYS + 1)
    began = time.monotonic()
    call_command("simulate_cohort", "--course", "all", "--learners", str(LEARNERS), "--days", str(DAYS),
                 "--seed", str(SEED), "--start", start.isoformat(), stdout=out)  # fmt: skip
    elapsed = time.monotonic() - began
    events = Event.objects.filter(learner__username__startswith=f"sim{SEED}-").count()
    print(f"| simulate_cohort {LEARNERS} learners x {DAYS} days (all 5 courses) | {elapsed:.1f} s "
          f"| {events:,} events, {events / elapsed:,.0f} events/s end to end | target <= 600 s |")  # fmt: skip
    print()
    print(out.getvalue())
    _cleanup()
