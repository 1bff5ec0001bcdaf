"""Import of a large knowledge-tracing table (CSV) through ``import_events --format table``.

Generates N rows (default 1,000,000; ``CAIRN_BENCH_TABLE_ROWS`` overrides) in the shape
of ASSISTments' skill-builder data: ``user_id, order_id, skill_name, problem_id,
correct`` for 4,000 learners, 110 skills and 26,000 problems, learners interleaved and
``order_id`` not sorted (every row gets a synthetic time from its place in its learner's
order: the whole file is ranked first), plus a few bad rows. Then imports the file
(fresh: every event new) with ``--workers`` processes (the number of cores;
``CAIRN_BENCH_TABLE_WORKERS`` overrides, 1 is the sequential path) and reports rows/s,
beside the raw store's rate in the same run (``_raw_store``: as many connections storing
rows of the same shape through ``rows_store_count``, with no reading, parsing,
validation or resolution). The benchmark's learners, course and events are deleted
afterwards.
"""

import datetime as dt
import io
import os
import random
import tempfile
import threading
import time
import uuid
from pathlib import Path

from django.core.management import call_command
from django.db import connection

from lms.accounts.models import User
from lms.courses.models import Activity, Course, Week
from lms.tracking import partitions
from lms.tracking.models import Event

N = int(os.environ.get("CAIRN_BENCH_TABLE_ROWS", "1000000"))
WORKERS = int(os.environ.get("CAIRN_BENCH_TABLE_WORKERS", str(os.cpu_count() or 1)))
RAW_ROWS = int(os.environ.get("CAIRN_BENCH_TABLE_RAW_ROWS", "200000"))
LEARNERS, SKILLS, PROBLEMS = 4000, 110, 26000
CHUNK = 5000  # rows a store call, as the import's chunks
COURSE = "bench-table-kt"
USER_PREFIX = "bench-table-"
EPOCH = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)  # synthetic times start here


def _generate(path: Path, n: int) -> None:
    rng = random.Random(11)
    skill_of = [rng.randrange(SKILLS) for _ in range(PROBLEMS)]
    with open(path, "w", encoding="utf-8") as out:
        out.write("user_id,order_id,skill_name,problem_id,correct\n")
        for i in range(n):
            problem = rng.randrange(PROBLEMS)
            order = 20_000_000 + i * 10 + rng.randrange(-40_000, 40_000)  # roughly in file order
            if i % 100_000 == 99_999:  # a few bad rows: told by line, not stored
                out.write(
                    f"{70000 + rng.randrange(LEARNERS)},{order},Skill {skill_of[problem]},{problem},maybe\n"
                )
                continue
            correct = int(rng.random() < 0.65)
            out.write(
                f"{70000 + rng.randrange(LEARNERS)},{order},Skill {skill_of[problem]},{50000 + problem},{correct}\n"
            )


def _raw_store(n: int, workers: int) -> float:
    """The store's own rate in this run: ``n`` rows shaped like the import's (a bench
    learner, the course, an activity, a graded-question payload, one dict a row) stored by
    ``workers`` threads, each on its own connection, 5,000 rows a call, through
    ``rows_store_count`` (binary COPY into staging, INSERT ... ON CONFLICT DO NOTHING)."""
    from lms.tracking.store import Row, rows_store_count

    learners = list(User.objects.filter(username__startswith=USER_PREFIX).values_list("pk", flat=True))
    activity = Activity.objects.filter(course__slug=COURSE).first()
    course_id, activity_id = (activity.course_id, activity.pk) if activity else (None, None)
    per_worker = n // workers // CHUNK
    received = dt.datetime.now(dt.UTC)

    def work(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(per_worker):
                rows = [
                    Row(learners[rng.randrange(len(learners))], EPOCH + dt.timedelta(minutes=rng.randrange(40000)),
                        uuid.UUID(int=rng.getrandbits(128), version=4), received, "", course_id, activity_id,
                        "quiz.graded", {"attempt": 1, "score": 1.0, "questions": [{"question": str(rng.randrange(PROBLEMS)),
                        "correct": True}], "concepts": ["Skill 7"]}, "table")
                    for _ in range(CHUNK)
                ]  # fmt: skip
                rows_store_count(rows)
        finally:
            connection.close()

    threads = [threading.Thread(target=work, args=(seed,)) for seed in range(workers)]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return per_worker * CHUNK * workers / (time.perf_counter() - t0)


def _cleanup() -> None:
    users = list(User.objects.filter(username__startswith=USER_PREFIX).values_list("pk", flat=True))
    Event.objects.filter(learner_id__in=users).delete()
    courses = Course.objects.filter(slug=COURSE, external_source="table")
    Activity.objects.filter(course__in=courses).delete()
    Week.objects.filter(course__in=courses).delete()
    courses.delete()
    User.objects.filter(pk__in=users).delete()
    if connection.vendor == "postgresql":  # deleted rows would slow the next run's inserts
        with connection.cursor() as cursor:
            for month in (EPOCH.date(), dt.date(2000, 2, 1)):
                name = partitions.partition_name(month)
                cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
                if cursor.fetchone()[0]:
                    cursor.execute(f"VACUUM {name}")


def run() -> None:
    _cleanup()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "skill_builder.csv"
        t0 = time.perf_counter()
        _generate(path, N)
        generated = time.perf_counter() - t0
        size = path.stat().st_size
        out = io.StringIO()
        t0 = time.perf_counter()
        call_command(
            "import_events", "--format", "table", str(path), "--course", COURSE, "--learner-prefix", USER_PREFIX,
            "--workers", str(WORKERS), "--no-progress", stdout=out,
        )  # fmt: skip
        seconds = time.perf_counter() - t0
    summary = out.getvalue()
    stored = int(summary.split("events stored:")[1].split()[0])
    raw = _raw_store(RAW_ROWS, WORKERS)
    print(f"generated {N} rows ({size / 1e6:.0f} MB) in {generated:.1f} s")
    print("| measure | value |")
    print("|---|---|")
    print(f"| rows | {N} |")
    print(f"| workers | {WORKERS} |")
    print(f"| events stored | {stored} |")
    print(f"| import seconds (fresh) | {seconds:.1f} |")
    print(f"| rows/s | {N / seconds:,.0f} |")
    print(f"| events stored/s | {stored / seconds:,.0f} |")
    print(f"| raw store, same run ({RAW_ROWS:,} rows, {WORKERS} connections) | {raw:,.0f} rows/s |")
    print(f"| import / raw store | {stored / seconds / raw:.0%} |")
    print()
    print(summary)
    _cleanup()
