"""Import of a large Open edX tracking log (.log.gz) through ``import_events``' code path.

Generates N realistic lines (default 1,000,000; ``CAIRN_BENCH_EDX_LINES`` overrides):
a few hundred learners in one course, browser video events with ``event`` as a JSON
string, server ``problem_check`` events with an object, sequence navigation, and 10 % of
what real logs hold beside (issue 18): server page views, browser copies of problem
events, page closes, links, forum views, shown answers, textbook pages, and types passed
through as ``external.edx``; plus a few bad lines. Then imports the file (fresh: every
event new) and reports lines/s, beside the raw store's rate in the same run (``_raw_store``:
the same number of connections storing rows of the same shape with no parsing). ``--workers`` is the number of cores (``CAIRN_BENCH_EDX_WORKERS``
overrides; 1 is the sequential path). The benchmark's learners, course and events are
deleted afterwards.
"""

import datetime as dt
import gzip
import json
import os
import random
import uuid
from pathlib import Path

from django.db import connection

from lms.accounts.models import User
from lms.courses.models import Activity, Course

from .importing import events_stored, generated, import_timed, imported_remove
from .timing import threads_timed

N = int(os.environ.get("CAIRN_BENCH_EDX_LINES", "1000000"))
WORKERS = int(os.environ.get("CAIRN_BENCH_EDX_WORKERS", str(os.cpu_count() or 1)))
LEARNERS = 300
CHUNK = 5000  # rows a store call, as the import's chunks
RAW_ROWS = int(os.environ.get("CAIRN_BENCH_EDX_RAW_ROWS", "200000"))
COURSE = "course-v1:BenchX+DL101+2019_T1"
USER_PREFIX = "bench-edx-"
START = dt.datetime(2019, 3, 1, tzinfo=dt.UTC)  # all events in one month, a partition of their own


_HTML = "<div class='problem'><p>" + "Which step size makes gradient descent converge? " * 30 + "</p></div>"


def _other(rng: random.Random, roll: float, problems: list[str]) -> dict:
    """The types of a real log beside video, problems and sequences (issue 18's sample:
    server page views first), mapped or passed through; about 10 % of the lines."""
    if roll < 0.95:  # an implicit event: a page the server served, its GET / POST with it
        return {"event_type": f"/courses/{COURSE}/courseware/ch{rng.randrange(9)}/", "event_source": "server",
                "event": {"GET": {"activate_block_id": [problems[0]]}, "POST": {}}}  # fmt: skip
    if roll < 0.96:  # the browser's copy of problem_check: passed through, with its HTML
        problem = problems[rng.randrange(len(problems))]
        return {"event_type": "problem_graded", "event_source": "browser",
                "event": json.dumps([f"input_{problem[-16:]}_2_1=choice_1", _HTML])}  # fmt: skip
    if roll < 0.97:
        return {"event_type": "page_close", "event_source": "browser", "event": ""}
    if roll < 0.975:
        return {"event_type": "edx.ui.lms.link_clicked", "event_source": "browser",
                "event": json.dumps({"current_url": "https://courses.bench.example/courses/x",
                                     "target_url": "https://en.wikipedia.org/wiki/Backpropagation"})}  # fmt: skip
    if roll < 0.98:
        return {"event_type": "edx.forum.thread.viewed", "event_source": "server",
                "event": {"id": f"{rng.getrandbits(96):024x}", "title": "Loss diverges", "commentable_id": "course",
                          "target_username": "someone", "user_forums_roles": ["Student"]}}  # fmt: skip
    if roll < 0.985:
        problem = problems[rng.randrange(len(problems))]
        return {"event_type": "showanswer", "event_source": "server", "event": {"problem_id": problem}}
    if roll < 0.99:
        return {"event_type": "book", "event_source": "browser",
                "event": json.dumps({"type": "nextpage", "new": rng.randrange(1, 300), "chapter": "/c1.pdf",
                                     "name": "textbook.pdf.page.navigatednext"})}  # fmt: skip
    # types with no canonical verb: passed through as external.edx
    etype = rng.choice(["edx.bookmark.listed", "xblock.poll.view_results", "edx.team.page_viewed",
                        "edx.video.language_menu.shown", "edx.special_exam.timed.attempt.ready_to_submit"])  # fmt: skip
    return {
        "event_type": etype,
        "event_source": "server",
        "event": {"list_type": "per_course", "page_size": 10},
    }


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
            elif roll < 0.90:  # navigation
                sequence = sequences[rng.randrange(len(sequences))]
                old = rng.randint(1, 6)
                line.update(
                    event_type=rng.choice(["seq_goto", "seq_next", "seq_prev"]), event_source="browser",
                    event=json.dumps({"old": old, "new": old + 1, "id": sequence, "current_tab": old,
                                      "tab_count": 7, "widget_placement": "top"}),
                )  # fmt: skip
            elif roll < 0.999:  # what real logs hold beside: page views, copies, forums, other types
                line.update(_other(rng, roll, problems))
            else:
                out.write('{"username": "broken", "event_type": "play_vid\n')
                continue
            out.write(json.dumps(line, separators=(",", ":")))
            out.write("\n")


def _raw_store(n: int, workers: int) -> float:
    """The store's own rate in this run, the floor under the import: ``n`` rows shaped like
    the import's (a bench learner, the course, an activity, a video payload) stored by
    ``workers`` threads, each on its own connection, 5,000 rows a call, through the same
    ``rows_store_count`` (binary COPY into staging, INSERT ... ON CONFLICT DO NOTHING):
    no reading, parsing, validation or record resolution."""
    from lms.tracking.store import Row, rows_store_count

    learners = list(User.objects.filter(username__startswith=USER_PREFIX).values_list("pk", flat=True))
    activity = Activity.objects.filter(course__title=COURSE, course__external_source="edx").first()
    course_id, activity_id = (activity.course_id, activity.pk) if activity else (None, None)
    per_worker = n // workers // CHUNK
    received = dt.datetime.now(dt.UTC)

    def work(seed: int) -> None:
        rng = random.Random(seed)
        try:
            for _ in range(per_worker):
                rows = [
                    Row(learners[rng.randrange(len(learners))], START + dt.timedelta(seconds=rng.random() * 2e6),
                        uuid.UUID(int=rng.getrandbits(128), version=4), received, "raw", course_id, activity_id,
                        "video.paused", {"position": rng.random() * 600, "code": "html5", "edx_type": "pause_video"},
                        "edx")
                    for _ in range(CHUNK)
                ]  # fmt: skip
                rows_store_count(rows)
        finally:
            connection.close()

    return per_worker * CHUNK * workers / threads_timed(work, [(seed,) for seed in range(workers)])


def _cleanup() -> None:
    imported_remove(
        user_prefix=USER_PREFIX,
        courses=Course.objects.filter(title=COURSE, external_source="edx"),
        months=[START.date()],
    )


def run() -> None:
    _cleanup()
    with generated("tracking.log.gz", _generate, N) as (path, generating, size):
        seconds, summary = import_timed("--format", "edx", str(path), "--workers", str(WORKERS))
    stored = events_stored(summary)
    raw = _raw_store(RAW_ROWS, WORKERS)
    print(f"generated {N} lines ({size / 1e6:.0f} MB gzipped) in {generating:.1f} s")
    print("| measure | value |")
    print("|---|---|")
    print(f"| lines | {N} |")
    print(f"| workers | {WORKERS} |")
    print(f"| events stored | {stored} |")
    print(f"| import seconds (fresh) | {seconds:.1f} |")
    print(f"| lines/s | {N / seconds:,.0f} |")
    print(f"| events stored/s | {stored / seconds:,.0f} |")
    print(f"| raw store, same run ({RAW_ROWS:,} rows, {WORKERS} connections) | {raw:,.0f} rows/s |")
    print(f"| import / raw store | {stored / seconds / raw:.0%} |")
    print()
    print(summary)
    _cleanup()
