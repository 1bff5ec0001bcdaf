"""Dashboard pages over 10,000,000 events and rollup maintenance throughput (issue 9).

Dashboards at scale: ``CAIRN_BENCH_DASH_EVENTS`` (default 10,000,000) events of one
course in PostgreSQL, then

1. a rebuild of every rollup from scratch (events/s: the catch-up rate);
2. an incremental run over a fresh batch of events by learners who already have state
   (events/s: the steady-state rate, against the ingestion rate of docs/benchmarks.md);
3. every dashboard page rendered 15 times by the Django test client (server time, the
   number of queries).

The events: a simulated cohort of ``BASE_LEARNERS`` learners over 16 weeks (through the
ingestion service), copied in SQL with other learner ids and earlier dates until the
target count is reached (one copy per 11 days back). Everything is deleted afterwards.

    DATABASE_URL=postgres://... CELERY_BROKER_URL=redis://... .venv/bin/python -m benchmarks dashboards

Prints Markdown rows, like every benchmark here (``make bench`` runs it with the others;
docs/dashboards.md).
"""

from __future__ import annotations

import datetime as dt
import io
import os
import statistics
import sys
import time

TARGET = int(os.environ.get("CAIRN_BENCH_DASH_EVENTS", "10000000"))
BASE_LEARNERS = int(os.environ.get("CAIRN_BENCH_DASH_LEARNERS", "1000"))
DAYS = 112
SEED = 5150
COURSE = "neural-networks-deep-learning"
OFFSET = 100_000_000  # learner ids of the copies: base id + copy * OFFSET
REPEAT = 15


def _cleanup() -> None:
    from django.db import connection

    from analytics.rollups import rollups_clear
    from lms.accounts.models import User

    users = list(User.objects.filter(username__startswith=f"sim{SEED}-").values_list("id", flat=True))
    with connection.cursor() as cursor:
        if users:
            cursor.execute("DELETE FROM tracking_event WHERE learner_id = ANY(%s)", [users])
        cursor.execute("DELETE FROM tracking_event WHERE learner_id >= %s", [OFFSET])
    User.objects.filter(id__in=users).delete()
    rollups_clear()


def _copy_events(base_ids: list[int], copies: int) -> int:
    """Copy the base cohort's events ``copies`` times, each 11 days further back."""
    from django.db import connection, transaction

    from lms.tracking import partitions

    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT min(time), max(time) FROM tracking_event WHERE learner_id = ANY(%s)", [base_ids]
        )
        first, last = cursor.fetchone()
    months = set()
    for copy in range(1, copies + 1):
        shift = dt.timedelta(days=11 * copy)
        day = (first - shift).date().replace(day=1)
        while day <= (last - shift).date():
            months.add(day)
            day = (day + dt.timedelta(days=32)).replace(day=1)
    partitions.partitions_ensure(months)
    stored = 0
    for copy in range(1, copies + 1):
        with transaction.atomic(), connection.cursor() as cursor:
            cursor.execute(
                "INSERT INTO tracking_event (learner_id, time, event_id, received, session_id, course_id, "
                "activity_id, verb, payload, source) SELECT learner_id + %s, time - %s, gen_random_uuid(), "
                "clock_timestamp(), session_id, course_id, activity_id, verb, payload, source "
                "FROM tracking_event WHERE learner_id = ANY(%s)",
                [copy * OFFSET, dt.timedelta(days=11 * copy), base_ids],
            )
            stored += cursor.rowcount
    return stored


def _pages(course, client) -> dict[str, str]:
    from django.urls import reverse

    from analytics import models as m
    from lms.courses.models import Activity

    def busiest(kind, rollup, column):
        counts = dict(rollup.objects.filter(course=course).values_list("activity_id", column))
        return max(Activity.objects.filter(course=course, kind=kind), key=lambda a: counts.get(a.pk, 0))

    video = busiest("video", m.VideoSummary, "viewers")
    quiz = busiest("quiz", m.QuizSummary, "first_attempts")
    lab = busiest("lab", m.LabSummary, "attempted")
    slug = course.slug
    return {
        "/dashboards/": reverse("analytics:index"),
        "overview (all days)": reverse("analytics:overview", args=[slug]) + "?period=all",
        "videos": reverse("analytics:videos", args=[slug]),
        "video (heatmap...)": reverse("analytics:video", args=[slug, video.slug]),
        "quizzes (item analysis)": reverse("analytics:quizzes", args=[slug]),
        "quiz": reverse("analytics:quiz", args=[slug, quiz.slug]),
        "labs": reverse("analytics:labs", args=[slug]),
        "lab": reverse("analytics:lab", args=[slug, lab.slug]),
        "CSV: heatmap": reverse("analytics:activity-csv", args=[slug, "videos", video.slug, "heatmap"]),
    }


def run() -> None:
    from django.core.management import call_command
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from analytics.rollups import rollups_update
    from lms.accounts.models import User
    from lms.courses.models import Course
    from lms.tracking.models import Event

    if connection.vendor != "postgresql":
        sys.exit("the dashboards benchmark runs on PostgreSQL (set DATABASE_URL)")
    if not Course.objects.filter(slug=COURSE).exists():
        call_command("import_course", f"course_content/{COURSE}", stdout=io.StringIO())
    _cleanup()
    start = dt.date.today() - dt.timedelta(days=DAYS + 1)
    began = time.monotonic()
    call_command("simulate_cohort", "--course", COURSE, "--learners", str(BASE_LEARNERS), "--days", str(DAYS),
                 "--seed", str(SEED), "--start", start.isoformat(), "--no-stats", stdout=io.StringIO())  # fmt: skip
    base_ids = list(User.objects.filter(username__startswith=f"sim{SEED}-").values_list("id", flat=True))
    base = Event.objects.filter(learner_id__in=base_ids).count()
    copies = max(0, -(-TARGET // base) - 1)
    _copy_events(base_ids, copies)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE tracking_event")  # what autovacuum does after bulk inserts
        cursor.execute("SELECT count(*) FROM tracking_event")
        total = cursor.fetchone()[0]
    print(f"| events in tracking_event | {total:,} ({base:,} simulated for {BASE_LEARNERS} learners x {DAYS} days, "
          f"{copies} copies of them in SQL; prepared in {time.monotonic() - began:.0f} s) | |")  # fmt: skip

    began = time.monotonic()
    report = rollups_update(rebuild=True, until=timezone.now())
    rebuild = time.monotonic() - began
    print(f"| rebuild of every rollup from scratch | {report.events:,} events in {rebuild:.0f} s = "
          f"**{report.events / rebuild:,.0f} events/s** | |")  # fmt: skip

    # Steady state: one more batch by learners who already have state, stored with a
    # fresh `received`, then the run the beat task would make.
    sample = base_ids[:: max(1, len(base_ids) // 300)]
    with connection.cursor() as cursor:
        cursor.execute(
            "INSERT INTO tracking_event (learner_id, time, event_id, received, session_id, course_id, activity_id, "
            "verb, payload, source) SELECT learner_id, time + interval '1 second', gen_random_uuid(), "
            "clock_timestamp(), session_id, course_id, activity_id, verb, payload, source "
            "FROM tracking_event WHERE learner_id = ANY(%s)",
            [sample],
        )
        fresh = cursor.rowcount
    began = time.monotonic()
    report = rollups_update(until=timezone.now())
    step = time.monotonic() - began
    print(f"| incremental run: a fresh batch by {len(sample)} learners with state | {report.events:,} events "
          f"(of {fresh:,} stored) in {step:.1f} s = **{report.events / step:,.0f} events/s** | "
          "above the ingestion rate (docs/benchmarks.md: 11,117 events/s end to end) |")  # fmt: skip
    began = time.monotonic()
    empty = rollups_update(until=timezone.now())
    print(f"| incremental run with nothing new (the BRIN read of the last slice) | {empty.events} events in "
          f"{(time.monotonic() - began) * 1000:.0f} ms | |")  # fmt: skip

    staff, _ = User.objects.get_or_create(username=f"bench{SEED}-analyst", defaults={"is_staff": True})
    client = Client()
    client.force_login(staff)
    course = Course.objects.get(slug=COURSE)
    print("\n| page | median | max | queries | target |\n|---|---|---|---|---|")
    for name, url in _pages(course, client).items():
        times = []
        for _ in range(REPEAT):
            reset_queries()  # DEBUG keeps at most 9,000 queries: the rebuild filled the log
            with CaptureQueriesContext(connection) as queries:
                began = time.perf_counter()
                response = client.get(url)
                times.append((time.perf_counter() - began) * 1000)
            assert response.status_code == 200, (url, response.status_code)
            assert not any("tracking_event" in q["sql"] for q in queries.captured_queries), url
        print(
            f"| {name} | {statistics.median(times):.0f} ms | {max(times):.0f} ms | {len(queries)} | 300 ms |"
        )
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c "
            "WHERE c.relname LIKE 'analytics\\_%%' AND c.relkind = 'r'"
        )
        size = cursor.fetchone()[0]
        cursor.execute(
            "SELECT sum(pg_relation_size(relid)) FROM pg_partition_tree('analytics_event_received')"
        )
        brin = cursor.fetchone()[0]
    print(
        f"\nRollups and learner state: {size / 2**20:,.0f} MiB; BRIN index on received (parent): {brin:,} bytes"
    )
    User.objects.filter(pk=staff.pk).delete()
    _cleanup()
