"""Import of interaction tables (CSV, Parquet) and the import / export commands' arguments,
failures and progress bar. The edX, xAPI and export tests are in ``test_interop_*.py``."""

from __future__ import annotations

import datetime as dt
import gzip
import io

import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lms.accounts.models import User
from lms.courses.models import Activity, Course
from lms.tracking.interop import events_import
from tests.platform.lms.tracking.importing import fresh_catalog_index  # noqa: F401
from tests.platform.lms.tracking.interop_helpers import (
    edx_lines,
    run,
    stored,
    write,
)

pytestmark = pytest.mark.django_db


def test_assistments_like_csv_gets_synthetic_times_in_order_and_graded_questions(tmp_path):
    path = tmp_path / "skill_builder.csv"
    path.write_text(
        "order_id,assignment_id,user_id,problem_id,correct,skill_name\n"
        "33022537,277618,64525,51424,1,Box and Whisker\n"
        "33022709,277618,64525,51459,0,Box and Whisker;Median\n"
        "35450295,220674,70363,59267,1,Circle Graph\n"
        "33022600,277618,64525,51430,1,Box and Whisker\n"
        ",277618,64525,51999,1,Box and Whisker\n"
        "35450296,220674,,59268,1,Circle Graph\n"
    )
    args = ["import_events", "--format", "table", str(path), "--learner-prefix", "assist-"]
    summary = run(*args, "--course", "assistments-2009")
    assert "events stored:       4" in summary and "bad lines:           2" in summary
    assert f"{path}:6: order is not a number" in summary and f"{path}:7: no learner" in summary
    learner = User.objects.get(username="assist-64525")
    events = stored(learner=learner)
    epoch = dt.datetime(2000, 1, 1, tzinfo=dt.UTC)
    assert [e.time for e in events] == [epoch + dt.timedelta(minutes=m) for m in range(3)]
    # each row is one graded question: the problem is the question, the skill the activity
    assert {e.verb for e in events} == {"quiz.graded"} and {e.source for e in events} == {"table"}
    assert [e.payload["questions"] for e in events] == [
        [{"question": "51424", "correct": True}],
        [{"question": "51430", "correct": True}],
        [{"question": "51459", "correct": False}],
    ]  # by order_id
    assert events[2].payload == {
        "attempt": 1,
        "score": 0.0,
        "questions": [{"question": "51459", "correct": False}],
        "concepts": ["Box and Whisker", "Median"],
    }
    course = Course.objects.get(pk=events[0].course_id)
    assert (course.slug, course.title) == ("assistments-2009", "assistments-2009")
    activities = Activity.objects.filter(course=course)
    assert sorted(activities.values_list("slug", "title", "kind")) == [
        ("box-and-whisker", "Box and Whisker", "quiz"),
        ("circle-graph", "Circle Graph", "quiz"),
    ]
    assert {e.activity.slug for e in events} == {"box-and-whisker"}
    again = run(*args, "--course", "assistments-2009")
    assert "events stored:       0" in again and "duplicates:          4" in again
    assert "courses created:     0" in again and "activities created:  0" in again


def test_parquet_table_with_times_and_kinds(tmp_path):
    path = tmp_path / "interactions.parquet"
    frame = pd.DataFrame(
        {
            "Learner": ["l1", "l1", "l1", "l2"],
            "timestamp": pd.to_datetime(
                [
                    "2024-05-01T10:00:00Z",
                    "2024-05-01T10:05:00Z",
                    "2024-05-01T10:09:00Z",
                    "2024-05-02T08:00:00Z",
                ]
            ),
            "item": ["vid-1", "lab-1", "quiz-1", "read-1"],
            "kind": ["video", "lab", "quiz", "reading"],
            "KC": ["loops", "loops;recursion", "recursion", None],
            "score": [None, 0.75, 1.0, None],
        }
    )
    pq.write_table(pa.Table.from_pandas(frame), path)
    report = events_import(format="table", paths=[path])
    assert (report.stored, report.bad) == (4, 0), report.problems
    events = stored()
    assert [e.verb for e in events] == [
        "video.completed",
        "lab.graded",
        "quiz.graded",
        "navigation.page_viewed",
    ]
    assert events[0].time == dt.datetime(2024, 5, 1, 10, 0, tzinfo=dt.UTC)
    assert events[0].payload == {"position": 0, "concepts": ["loops"]}
    assert events[1].payload == {"score": 0.75, "tests": [], "concepts": ["loops", "recursion"]}
    assert events[2].payload == {  # a quiz row with a score: one graded question of its concept
        "attempt": 1,
        "score": 1.0,
        "questions": [{"question": "quiz-1", "correct": True}],
        "concepts": ["recursion"],
    }
    assert events[3].payload == {"path": "read-1"}
    kinds = dict(Activity.objects.values_list("slug", "kind"))
    assert kinds == {"vid-1": "video", "lab-1": "lab", "recursion": "quiz", "read-1": "reading"}
    assert Course.objects.values_list("slug", "title").get() == ("interactions", "interactions")


@pytest.mark.parametrize(
    "args, words",
    [
        (["import_events", "--format", "edx", "/no/such/file.log"], "cannot read /no/such/file.log"),
        (["import_events", "--format", "csv", "x"], "unknown format 'csv'"),
        (["export_events", "--format", "json", "--out", "x"], "unknown format 'json'"),
        (
            ["export_events", "--format", "edx", "--out", "x", "--since", "last tuesday"],
            "--since 'last tuesday' is not an ISO 8601",
        ),
        (["export_events", "--format", "edx", "--out", "x", "--course", "nope"], "unknown course 'nope'"),
        (
            [
                "export_events",
                "--format",
                "edx",
                "--out",
                "x",
                "--since",
                "2025-02-01",
                "--until",
                "2025-01-01",
            ],
            "--until must be later",
        ),
    ],
)
def test_commands_refuse_bad_arguments_clearly(args, words):
    with pytest.raises(CommandError, match=words):
        run(*args)


def test_import_of_a_corrupt_gzip_fails_clearly(tmp_path):
    path = tmp_path / "broken.log.gz"
    path.write_bytes(gzip.compress(("\n".join(edx_lines()) + "\n").encode())[:-30])
    with pytest.raises(CommandError, match="reading failed"):
        run("import_events", "--format", "edx", str(path))


def test_progress_bar_goes_to_stderr(tmp_path):
    path = write(tmp_path / "t.log", edx_lines())
    out, err = io.StringIO(), io.StringIO()
    call_command("import_events", "--format", "edx", str(path), stdout=out, stderr=err)
    assert "import edx" in err.getvalue() and "events stored" in out.getvalue()
