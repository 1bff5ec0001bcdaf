"""Import of a large Open edX tracking log (.log.gz) through ``import_events``' code path.

Generates N realistic lines (default 1,000,000; ``CAIRN_BENCH_EDX_LINES`` overrides):
a few hundred learners in one course, browser video events with ``event`` as a JSON
string, server ``problem_check`` events with an object, sequence navigation, plus some
unmapped types and a few bad lines. Then imports the file (fresh: every event new) and
reports lines/s. ``--workers`` is the number of cores (``CAIRN_BENCH_EDX_WORKERS``
overrides; 1 is the sequential path). The benchmark's learners, course and events are
deleted afterwards.
"""

import datetime as dt
import gzip
import io
import json
import os
import random
import tempfile
import time
from pathlib import Path

from django.core.management import call_command
from django.db import connection

from lms.accounts.models import User
from lms.courses.models import Activity, Course, Week
from lms.tracking import partitions
from lms.tracking.models import Event

N = int(os.environ.get("CAIRN_BENCH_EDX_LINES", "1000000"))
WORKERS = int(os.environ.get("CAIRN_BENCH_EDX_WORKERS", str(os.cpu_count() or 1)))
LEARNERS = 300
COURSE = "course-v1:BenchX+DL101+2019_T1"
USER_PREFIX = "bench-edx-"
START = dt.datetime(2019, 3, 1, tzinfo=dt.UTC)  # all events in one month, a partition of their own


def _generate(path: Path, n: int) -> None:
    rng = random.Random(7)
    videos = [f"{rng.getrandbits(128):032x}" for _ in range(40)]
    problems = [
        f"block-v1:BenchX+DL101+2019_T1+type@problem+block@{rng.getrandbits(64):016x}" for _ in range(30)
    ]
    sequences = [
        f"block-v1:BenchX+DL101+2019_T1+type@sequential+block@{rng.getrandbits(64):016x}" for _ in range(12)
    ]
    learners = [f"{USER_PREFIX}{i:04d}" for i in range(LEARNERS)]
    sessions = {name: f"{rng.getrandbits(128):032x}" for name in learners}
    moment = START
    step = dt.timedelta(days=27) / n
    video_types = ["load_video", "play_video", "pause_video", "seek_video", "play_video", "pause_video",
                   "speed_change_video", "show_transcript", "stop_video", "complete_video"]  # fmt: skip
    with gzip.open(path, "wt", encoding="utf-8", compresslevel=1) as out:
        for _ in range(n):
            moment += step
            user = learners[rng.randrange(LEARNERS)]
            roll = rng.random()
            line = {
                "username": user,
                "session": sessions[user],
                "ip": "203.0.113.9",
                "agent": "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 Chrome/72.0 Safari/537.36",
                "host": "courses.bench.example",
                "accept_language": "en-US,en;q=0.9",
                "referer": f"https://courses.bench.example/courses/{COURSE}/courseware/",
                "time": moment.isoformat(),
                "context": {"course_id": COURSE, "org_id": "BenchX", "user_id": 1000 + int(user[-4:]), "path": "/event"},
                "page": f"https://courses.bench.example/courses/{COURSE}/courseware/ch/seq/1",
            }  # fmt: skip
            if roll < 0.62:  # video
                etype = video_types[rng.randrange(len(video_types))]
                position = round(rng.uniform(0, 600), 3)
                event = {"id": videos[rng.randrange(len(videos))], "code": "html5"}
                if etype == "seek_video":
                    event.update(
                        old_time=position, new_time=round(rng.uniform(0, 600), 3), type="onSlideSeek"
                    )
                elif etype == "speed_change_video":
                    event.update(
                        current_time=position, old_speed="1.0", new_speed=rng.choice(["1.25", "1.50", "2.0"])
                    )
                elif etype == "complete_video":
                    event.update(currentTime=600, duration=600)
                elif etype != "load_video":
                    event["currentTime"] = position
                line.update(event_type=etype, event_source="browser", event=json.dumps(event))
            elif roll < 0.77:  # a graded problem, from the server
                problem = problems[rng.randrange(len(problems))]
                correct = rng.random() < 0.6
                block = problem.rsplit("@", 1)[1]
                line["context"]["module"] = {"usage_key": problem, "display_name": f"Problem {block[:4]}"}
                line.update(
                    event_type="problem_check", event_source="server", page=None,
                    event={
                        "problem_id": problem, "attempts": rng.randint(1, 3),
                        "answers": {f"{block}_2_1": f"choice_{rng.randrange(4)}"},
                        "success": "correct" if correct else "incorrect",
                        "grade": int(correct), "max_grade": 1,
                        "correct_map": {f"{block}_2_1": {"correctness": "correct" if correct else "incorrect",
                                                         "npoints": None, "msg": "", "hint": "", "hintmode": None,
                                                         "queuestate": None}},
                        "state": {"seed": 1, "done": True, "student_answers": {}, "input_state": {}},
                        "user_id": 1000 + int(user[-4:]),
                    },
                )  # fmt: skip
            elif roll < 0.95:  # navigation
                sequence = sequences[rng.randrange(len(sequences))]
                old = rng.randint(1, 6)
                line.update(
                    event_type=rng.choice(["seq_goto", "seq_next", "seq_prev"]), event_source="browser",
                    event=json.dumps({"old": old, "new": old + 1, "id": sequence, "current_tab": old,
                                      "tab_count": 7, "widget_placement": "top"}),
                )  # fmt: skip
            elif roll < 0.999:  # types Cairn does not read
                line.update(
                    event_type=rng.choice(["page_close", f"/courses/{COURSE}/courseware"]), event="{}"
                )
            else:
                out.write('{"username": "broken", "event_type": "play_vid\n')
                continue
            out.write(json.dumps(line, separators=(",", ":")))
            out.write("\n")


def _cleanup() -> None:
    users = list(User.objects.filter(username__startswith=USER_PREFIX).values_list("pk", flat=True))
    Event.objects.filter(learner_id__in=users).delete()
    courses = Course.objects.filter(title=COURSE, external_source="edx")
    Activity.objects.filter(course__in=courses).delete()
    Week.objects.filter(course__in=courses).delete()
    courses.delete()
    User.objects.filter(pk__in=users).delete()
    if connection.vendor == "postgresql":  # deleted rows would slow the next run's inserts
        name = partitions.partition_name(START.date())
        with connection.cursor() as cursor:
            cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
            if cursor.fetchone()[0]:
                cursor.execute(f"VACUUM {name}")


def run() -> None:
    _cleanup()
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "tracking.log.gz"
        t0 = time.perf_counter()
        _generate(path, N)
        generated = time.perf_counter() - t0
        size = path.stat().st_size
        out = io.StringIO()
        t0 = time.perf_counter()
        call_command(
            "import_events",
            "--format",
            "edx",
            str(path),
            "--workers",
            str(WORKERS),
            "--no-progress",
            stdout=out,
        )
        seconds = time.perf_counter() - t0
    summary = out.getvalue()
    stored = int(summary.split("events stored:")[1].split()[0])
    print(f"generated {N} lines ({size / 1e6:.0f} MB gzipped) in {generated:.1f} s")
    print("| measure | value |")
    print("|---|---|")
    print(f"| lines | {N} |")
    print(f"| workers | {WORKERS} |")
    print(f"| events stored | {stored} |")
    print(f"| import seconds (fresh) | {seconds:.1f} |")
    print(f"| lines/s | {N / seconds:,.0f} |")
    print()
    print(summary)
    _cleanup()
