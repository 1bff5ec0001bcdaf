"""Import of a large knowledge-tracing table (CSV) through ``import_events --format table``.

Generates N rows (default 1,000,000; ``CAIRN_BENCH_TABLE_ROWS`` overrides) in the shape
of ASSISTments' skill-builder data: ``user_id, order_id, skill_name, problem_id,
correct`` for 4,000 learners, 110 skills and 26,000 problems, learners interleaved and
``order_id`` not sorted (every row gets a synthetic time from its place in its learner's
order: the whole file is ranked first), plus a few bad rows. Then imports the file
(fresh: every event new) with ``--workers`` storing threads (the number of cores;
``CAIRN_BENCH_TABLE_WORKERS`` overrides, 1 stores in the reading thread), then again
(every event a duplicate), and reports rows/s beside the raw COPY floor measured in the
same run (``_raw_store``: as many connections storing pre-encoded binary COPY data of
rows of the same shape, with no reading, parsing, validation, resolution or encoding),
and the ratio. The benchmark's learners, course and events are deleted afterwards.
"""

import datetime as dt
import json
import os
import random
from pathlib import Path

from django.db import connection

from lms.accounts.models import User
from lms.courses.models import Activity, Course

from .importing import events_stored, generated, import_timed, imported_remove
from .timing import threads_timed

N = int(os.environ.get("CAIRN_BENCH_TABLE_ROWS", "1000000"))
WORKERS = int(os.environ.get("CAIRN_BENCH_TABLE_WORKERS", str(os.cpu_count() or 1)))
RAW_ROWS = int(os.environ.get("CAIRN_BENCH_TABLE_RAW_ROWS", "200000"))
LEARNERS, SKILLS, PROBLEMS = 4000, 110, 26000
CHUNK = 20_000  # rows a store call, as the import's chunks (interop.ingest.CHUNK_ROWS)
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
    """The raw COPY floor in this run: ``n`` rows shaped like the import's (a bench
    learner, a synthetic time, a new id, the course, an activity, a graded-question
    payload) encoded as binary COPY data *before* the clock starts, then stored by
    ``workers`` threads, each on its own connection, 20,000 rows a call, through
    ``store.binary_store`` (COPY into staging, INSERT ... ON CONFLICT DO NOTHING): what
    PostgreSQL takes to store them, with no reading, parsing, validation, resolution or
    encoding."""
    import numpy as np

    from lms.tracking.store import binary_rows, binary_store, binary_tail, months_of

    learners = np.array(User.objects.filter(username__startswith=USER_PREFIX).values_list("pk", flat=True))
    activities = list(Activity.objects.filter(course__slug=COURSE).values_list("pk", "course_id"))
    per_worker = n // workers // CHUNK
    received = dt.datetime.now(dt.UTC)
    rng = np.random.default_rng(5)
    pyrng = random.Random(5)
    tails = [
        binary_tail(
            session="", course_id=course_id, activity_id=activity_id, verb="quiz.graded",
            payload_json=json.dumps({"attempt": 1, "score": float(c), "questions": [{"question": str(q),
            "correct": bool(c)}], "concepts": ["Skill 7"]}).encode(), source="table",
        )
        for q in range(PROBLEMS) for c in (0, 1) for activity_id, course_id in [activities[q % len(activities)]]
    ]  # fmt: skip
    blocks: list[list[tuple[bytes, set]]] = []
    for _ in range(workers):
        mine = []
        for _ in range(per_worker):
            times = rng.integers(0, 40_000, CHUNK) * 60_000_000
            data = binary_rows(
                learners[rng.integers(0, len(learners), CHUNK)], times, rng.bytes(16 * CHUNK), received,
                [tails[pyrng.randrange(len(tails))] for _ in range(CHUNK)],
            )  # fmt: skip
            mine.append((data, months_of(times)))
        blocks.append(mine)

    def work(mine: list[tuple[bytes, set]]) -> None:
        try:
            for data, months in mine:
                binary_store(data, months)
        finally:
            connection.close()

    return per_worker * CHUNK * workers / threads_timed(work, [(mine,) for mine in blocks])


def _cleanup() -> None:
    imported_remove(
        user_prefix=USER_PREFIX,
        courses=Course.objects.filter(slug=COURSE, external_source="table"),
        months=[EPOCH.date(), dt.date(2000, 2, 1)],
    )


def run() -> None:
    _cleanup()
    arguments = (
        "--format",
        "table",
        "--course",
        COURSE,
        "--learner-prefix",
        USER_PREFIX,
        "--workers",
        str(WORKERS),
    )
    with generated("skill_builder.csv", _generate, N) as (path, generating, size):
        seconds, summary = import_timed(str(path), *arguments)  # fresh
        seconds_again, summary_again = import_timed(str(path), *arguments)  # again: all duplicates
    stored, stored_again = events_stored(summary), events_stored(summary_again)
    raw = _raw_store(RAW_ROWS, WORKERS)
    print(f"generated {N} rows ({size / 1e6:.0f} MB) in {generating:.1f} s")
    print("| measure | value |")
    print("|---|---|")
    print(f"| rows | {N} |")
    print(f"| workers | {WORKERS} |")
    print(f"| events stored | {stored} |")
    print(f"| import seconds (fresh) | {seconds:.1f} |")
    print(f"| rows/s | {N / seconds:,.0f} |")
    print(f"| events stored/s | {stored / seconds:,.0f} |")
    print(
        f"| import again (all duplicates): seconds, rows/s, stored | {seconds_again:.1f}, {N / seconds_again:,.0f}, {stored_again} |"
    )
    print(
        f"| raw COPY floor, same run ({RAW_ROWS:,} rows pre-encoded, {WORKERS} connections) | {raw:,.0f} rows/s |"
    )
    print(f"| import rows/s / raw COPY floor | {N / seconds / raw:.0%} |")
    print(f"| target 50,000 rows/s | {'met' if N / seconds >= 50_000 else 'not met'} |")
    print()
    print(summary)
    _cleanup()
