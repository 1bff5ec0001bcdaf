"""The at-risk page with 10,000 learners in one course (issue 15: <= 300 ms).

Builds ``CAIRN_BENCH_RISK_LEARNERS`` (default 10,000) enrolled learners in
neural-networks-deep-learning, each with a few events over the last 60 days and some
graded items passed or failed, refreshes the ``LearnerRisk`` rollup with the rule (the
page reads the rollup the same way whatever computed it: the model only changes the
refresh, which runs off the request path), then times the page as an instructor sees
it, 15 requests per variant: the default ranking, a filtered view, a late page, a
sort. Prints Markdown rows; everything it made is deleted afterwards.
"""

from __future__ import annotations

import datetime as dt
import os
import random
import statistics
import time
import uuid

LEARNERS = int(os.environ.get("CAIRN_BENCH_RISK_LEARNERS", "10000"))
COURSE = "neural-networks-deep-learning"
PREFIX = "riskbench-"
REPEAT = 15
SEED = 15


def _cleanup() -> None:
    from django.db import connection

    from analytics.models import LearnerRisk
    from lms.accounts.models import User

    ids = list(User.objects.filter(username__startswith=PREFIX).values_list("id", flat=True))
    if not ids:
        return
    with connection.cursor() as cursor:
        cursor.execute("DELETE FROM tracking_event WHERE learner_id = ANY(%s)", [ids])
    LearnerRisk.objects.filter(learner_id__in=ids).delete()
    User.objects.filter(id__in=ids).delete()


def _build(course, now: dt.datetime) -> list[int]:
    from django.contrib.auth.hashers import make_password

    from lms.accounts.models import User
    from lms.courses.models import Activity, Enrollment
    from lms.progress.models import ActivityProgress
    from lms.tracking import partitions
    from lms.tracking.models import Event

    rng = random.Random(SEED)
    password = make_password(None)
    users = User.objects.bulk_create(
        [
            User(username=f"{PREFIX}{i}", email=f"{PREFIX}{i}@example.org", password=password)
            for i in range(LEARNERS)
        ],
        batch_size=2000,
    )
    ids = [u.pk for u in users]
    Enrollment.objects.bulk_create([Enrollment(user_id=pk, course=course) for pk in ids], batch_size=2000)
    activities = list(Activity.objects.filter(course=course, retired=False).values_list("pk", "graded"))
    graded = [pk for pk, g in activities if g]
    partitions.partitions_ensure(
        {(now - dt.timedelta(days=d)).date().replace(day=1) for d in range(0, 70, 10)}
    )
    events, progress = [], []
    for pk in ids:
        if rng.random() < 0.05:
            continue  # enrolled, never active
        last = now - dt.timedelta(days=rng.expovariate(1 / 12) % 60, hours=rng.random() * 24)
        for k in range(3):
            when = last - dt.timedelta(days=3 * k, minutes=rng.random() * 60)
            activity = rng.choice(activities)[0]
            events.append(Event(learner_id=pk, time=when, event_id=uuid.uuid4(), received=when, course=course,
                                activity_id=activity, verb="navigation.page_viewed", payload={}))  # fmt: skip
        for activity in rng.sample(graded, 2):
            progress.append(ActivityProgress(learner_id=pk, activity_id=activity, course=course,
                                             score=rng.random(), passed=rng.random() < 0.6))  # fmt: skip
    Event.objects.bulk_create(events, batch_size=5000)
    ActivityProgress.objects.bulk_create(progress, batch_size=5000)
    return ids


def run() -> None:
    from pathlib import Path

    from django.conf import settings
    from django.db import connection, reset_queries
    from django.test import Client
    from django.test.utils import CaptureQueriesContext
    from django.urls import reverse
    from django.utils import timezone

    from analytics.risk import learner_risk_refresh
    from lms.accounts.models import User
    from lms.courses.models import Course, CourseRole
    from lms.courses.services import course_import

    _cleanup()
    if not Course.objects.filter(slug=COURSE).exists():
        course_import(course_dir=Path(settings.CONTENT_ROOT) / COURSE)
    course = Course.objects.get(slug=COURSE)
    now = timezone.now()
    try:
        began = time.perf_counter()
        _build(course, now)
        built = time.perf_counter() - began
        began = time.perf_counter()
        written = learner_risk_refresh(course=course, now=now, model=False)[course.slug]
        refreshed = time.perf_counter() - began
        teacher = User.objects.create(username=f"{PREFIX}teacher")
        CourseRole.objects.create(user=teacher, course=course)
        client = Client()
        client.force_login(teacher)
        page = reverse("analytics:at-risk", args=[course.slug])
        variants = {
            "default (most at risk first)": "",
            "band=high, active=7": "?band=high&active=7",
            "week=2, sort=inactive": "?week=2&sort=inactive",
            "page 100": "?page=100",
        }
        client.get(page)  # warm: navigation flags, the active model's lookup
        print(f"{LEARNERS:,} learners built in {built:.1f} s; rollup refreshed (rule) in {refreshed:.1f} s, "
              f"{written:,} rows\n")  # fmt: skip
        print("| at-risk page | median | max | queries |")
        print("|---|---:|---:|---:|")
        for name, query in variants.items():
            times = []
            for _ in range(REPEAT):
                reset_queries()
                with CaptureQueriesContext(connection) as queries:
                    began = time.perf_counter()
                    response = client.get(page + query)
                    times.append(time.perf_counter() - began)
                assert response.status_code == 200, response.status_code
            print(f"| {name} | {statistics.median(times) * 1000:.0f} ms | {max(times) * 1000:.0f} ms "
                  f"| {len(queries.captured_queries)} |")  # fmt: skip
    finally:
        _cleanup()
