"""Imports that keep what a learning log means (issue 16, point 1): graded questions from
knowledge-tracing tables, explicit column maps, failed imports that say so, readable
names, learner ids kept as given (and exported as ``learner_key``), and the data-set
layouts of ``recommender.datasets`` (``--format akt``) on a slice of the real folds."""

from __future__ import annotations

import io
import json
import shutil
import uuid
from pathlib import Path

import pandas as pd
import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from lms.accounts.models import User
from lms.courses.models import Activity, Course
from lms.tracking.interop import events_import
from lms.tracking.interop.naming import digest
from lms.tracking.models import Event
from lms.tracking.services import events_ingest_many
from tests.factories import ActivityFactory, CourseFactory, UserFactory
from tests.platform.lms.tracking.importing import fresh_catalog_index, run  # noqa: F401

pytestmark = pytest.mark.django_db

AKT_DIR = Path(__file__).resolve().parents[4] / ".." / "shared" / "data" / "kt-akt-folds" / "assist2009_pid"


def run_failing(*args: str) -> tuple[str, str]:
    """(the summary printed, the error) of an import that must fail."""
    out = io.StringIO()
    with pytest.raises(CommandError) as failed:
        call_command("import_events", *args, "--no-progress", stdout=out, stderr=io.StringIO())
    return out.getvalue(), str(failed.value)


def events():
    return list(Event.objects.select_related("activity", "learner").order_by("learner__username", "time"))


def csv(path: Path, text: str) -> Path:
    path.write_text(text.strip() + "\n")
    return path


# graded questions ---------------------------------------------------------------------
def test_question_family_rows_with_correctness_are_graded_questions(tmp_path):
    path = csv(
        tmp_path / "assist2015.csv",
        """
learner,order,kind,question,skill,correct,answer
s1,1,question,q52,Box and Whisker,1,
s1,2,problem,q53,Box and Whisker,0,
s1,3,item,q54,Median,0.5,
s1,4,skill,q55,Median,true,
s1,5,quiz,q56,Median,0,
s1,6,question,q57,Median,,7
""",
    )
    summary = run("--format", "table", str(path))
    assert "events stored:       6" in summary and "bad lines:           0" in summary
    got = [(e.verb, e.activity.slug, e.payload) for e in events()]
    graded = lambda q, score, right, skill: (  # noqa: E731
        "quiz.graded",
        {"Box and Whisker": "box-and-whisker", "Median": "Median"}[skill],  # a slug is kept as it is
        {"attempt": 1, "score": score, "questions": [{"question": q, "correct": right}], "concepts": [skill]},
    )
    assert got == [
        graded("q52", 1.0, True, "Box and Whisker"),
        graded("q53", 0.0, False, "Box and Whisker"),
        graded("q54", 0.5, False, "Median"),  # partial credit: the score, not correct
        graded("q55", 1.0, True, "Median"),
        graded("q56", 0.0, False, "Median"),  # kind quiz with a correctness value: graded too
        ("quiz.answered", "Median", {"question": "q57", "answer": "7", "concepts": ["Median"]}),
    ]
    assert {e.learner.username for e in events()} == {"s1"}  # the id from the file, as given
    assert Course.objects.values_list("slug", "title").get() == ("assist2015", "assist2015")
    assert sorted(Activity.objects.values_list("slug", "title", "kind")) == [
        ("Median", "Median", "quiz"),
        ("box-and-whisker", "Box and Whisker", "quiz"),
    ]


def test_without_a_concept_column_the_item_is_the_activity_and_keys_are_made_safe(tmp_path):
    path = csv(
        tmp_path / "kdd.csv",
        """
Anon Student Id,Step,Problem Name,Correct First Attempt
stu_1,1,(-2)+(-3) = ?,1
stu_1,2,LDEMO WKST,0
""",
    )
    run("--format", "table", str(path))
    got = [(e.activity.slug, e.activity.title, e.payload["questions"][0]["question"]) for e in events()]
    assert got == [
        ("2-3", "(-2)+(-3) = ?", "-2_-3"),  # slugified activity; question key: runs of others -> "_"
        ("ldemo-wkst", "LDEMO WKST", "LDEMO_WKST"),
    ]


def test_an_unknown_kind_fails_the_import_with_its_reasons(tmp_path):
    path = csv(tmp_path / "t.csv", "learner,order,kind,question,correct\n" + "s1,1,exercise-set,q1,1\n" * 3)
    summary, error = run_failing("--format", "table", str(path))
    assert "events stored:       0" in summary and "bad lines:           3" in summary
    assert "import failed: 3 of 3 lines read were rejected" in error
    assert "t.csv:2: kind 'exercise-set' is not one of question, problem, item, skill, quiz" in error
    assert not Event.objects.exists()


# failing imports ----------------------------------------------------------------------
def test_an_import_fails_when_most_lines_are_rejected_or_nothing_is_stored(tmp_path):
    mostly_bad = csv(
        tmp_path / "m.csv",
        "learner,order,question,correct\ns1,1,q1,1\n,2,q2,1\ns1,x,q3,1\ns1,4,q4,maybe\n",
    )
    summary, error = run_failing("--format", "table", str(mostly_bad))
    assert "events stored:       1" in summary  # what was good is stored all the same
    assert "3 of 4 lines read were rejected" in error
    assert "m.csv:3: no learner" in error and "m.csv:4: order is not a number" in error
    assert "m.csv:5: correct 'maybe' is not 1/0, true/false or a fraction" in error

    no_columns = csv(tmp_path / "n.csv", "who,what\na,b\n")
    _, error = run_failing("--format", "table", str(no_columns))
    assert "no learner; no activity, question or concepts; no time or order column" in error

    empty = csv(tmp_path / "e.csv", "learner,order,question,correct")
    _, error = run_failing("--format", "table", str(empty))
    assert "nothing stored" in error or "nothing to import" in error

    half = csv(tmp_path / "h.csv", "learner,order,question,correct\ns2,1,q1,1\n,2,q2,1\n")
    assert "events stored:       1" in run("--format", "table", str(half))  # half is not most


def edx_line(etype: str, second: int, event: dict | None = None, *, username: str = "ada") -> str:
    return json.dumps(
        {
            "username": username, "event_type": etype, "event_source": "browser",
            "time": f"2025-03-04T10:00:{second:02d}+00:00", "event": json.dumps(event or {}),
            "context": {"course_id": "course-v1:X+Y+Z", "path": "/event"}, "page": "https://x.org/c",
        }
    )  # fmt: skip


def test_skipped_edx_events_are_no_rejection(tmp_path):
    path = tmp_path / "tracking.log"
    play = edx_line("play_video", 0, {"id": "v1", "currentTime": 3})
    anonymous = [edx_line("page_close", i, username="") for i in range(1, 20)]  # no learner: skipped
    path.write_text("\n".join([play, *anonymous]) + "\n")
    summary = run("--format", "edx", str(path))
    assert "events stored:       1" in summary and "skipped:             19" in summary

    only_skipped = tmp_path / "closed.log"
    only_skipped.write_text(anonymous[0] + "\n")
    _, error = run_failing("--format", "edx", str(only_skipped))
    assert "nothing stored: 0 rejected, 1 skipped of 1 lines read" in error
    assert "skipped 1: anonymous (no username)" in error

    broken = tmp_path / "broken.log"
    broken.write_text(play + "\n{oops\n{oops\n")
    _, error = run_failing("--format", "edx", str(broken))
    assert "2 of 3 lines read were rejected" in error and "broken.log:2: not valid JSON" in error


# --map --------------------------------------------------------------------------------
RIIID = """
row_id,timestamp_ms,user,content_id,tag,answered_correctly,type
0,1565096190000,115,5692,x,1,0
1,1565096250000,115,5716,x,0,0
"""


def test_map_names_the_columns_and_overrides_the_aliases(tmp_path):
    path = csv(tmp_path / "riiid.csv", RIIID)
    summary = run(
        "--format", "table", str(path),
        "--map", "correct=answered_correctly, learner=user,question=content_id,time=timestamp_ms,concepts=tag",
    )  # fmt: skip
    assert "events stored:       2" in summary
    got = [
        (e.learner.username, e.time.isoformat(), e.activity.slug, e.payload["questions"]) for e in events()
    ]
    assert got == [
        ("115", "2019-08-06T12:56:30+00:00", "x", [{"question": "5692", "correct": True}]),
        ("115", "2019-08-06T12:57:30+00:00", "x", [{"question": "5716", "correct": False}]),
    ]
    # "type" is no kind column (ASSISTments' type is the assignment's), unless mapped
    _, error = run_failing(
        "--format", "table", str(path), "--map", "kind=type,learner=user,question=content_id,order=row_id"
    )
    assert "kind '0' is not one of" in error


@pytest.mark.parametrize(
    "mapping, words",
    [
        ("right=answered_correctly", "'right' is not one of our columns: learner, time, order"),
        ("correct=answered_correctly,learner=who", "riiid.csv has no column 'who'; its columns: row_id"),
        ("correct", "'correct' is not ours=theirs"),
        ("correct=a,correct=b", "'correct' is mapped twice"),
    ],
)
def test_a_bad_map_is_refused_before_anything_is_stored(tmp_path, mapping, words):
    path = csv(tmp_path / "riiid.csv", RIIID)
    with pytest.raises(CommandError, match=words):
        run("--format", "table", str(path), "--map", mapping)
    assert not Event.objects.exists() and not User.objects.exists()


def test_map_is_for_tables_only(tmp_path):
    with pytest.raises(CommandError, match="--map applies to --format table only"):
        run("--format", "edx", str(csv(tmp_path / "t.log", "{}")), "--map", "learner=user")


# readable names ----------------------------------------------------------------------
def test_names_are_readable_unless_two_keys_meet(tmp_path):
    native = CourseFactory(slug="neural-networks", title="Neural Networks")
    ActivityFactory(slug="q52", week__course=native)
    rows = "learner,order,course,question,correct\n"
    rows += "s1,1,ASSIST 2015,q52,1\n"  # q52 is a native activity's slug: a digest
    rows += "s1,2,ASSIST 2015,Box and Whisker,1\n"
    rows += "s1,3,ASSIST 2015,box  and whisker,1\n"  # the same slugified form: a digest
    rows += "s1,4,Neural Networks,q1,1\n"  # a native course's slug, not its key: a digest
    rows += "s1,5,assist_2015,q53,1\n"
    path = csv(tmp_path / "t.csv", rows)
    run("--format", "table", str(path))

    courses = dict(Course.objects.filter(external_source="table").values_list("title", "slug"))
    assert courses == {
        "ASSIST 2015": "assist-2015",
        "Neural Networks": f"neural-networks-{digest('Neural Networks')}",
        "assist_2015": "assist_2015",
    }
    activities = dict(Activity.objects.filter(external_source="table").values_list("title", "slug"))
    assert activities == {
        "q52": f"q52-{digest('ASSIST 2015|q52')}",
        "Box and Whisker": "box-and-whisker",
        "box  and whisker": f"box-and-whisker-{digest('ASSIST 2015|box  and whisker')}",
        "q1": "q1",
        "q53": "q53",
    }
    assert Event.objects.filter(course=native).count() == 0
    first = sorted((e.activity_id, e.course_id, e.time) for e in Event.objects.all())

    # again, and in another course: the same rows, nothing new; new keys meet old ones
    Event.objects.all().delete()
    more = csv(tmp_path / "more.csv", rows + "s2,1,other,q53,0\n")
    report = events_import(format="table", paths=[more])
    assert (report.stored, report.courses_created, report.activities_created) == (6, 1, 1)
    again = sorted(
        (e.activity_id, e.course_id, e.time) for e in Event.objects.exclude(learner__username="s2")
    )
    assert again == first
    other = Event.objects.get(learner__username="s2").activity
    assert (other.slug, other.course.slug) == (f"q53-{digest('other|q53')}", "other")


# learner ids --------------------------------------------------------------------------
def test_learner_ids_are_kept_and_exported_as_learner_key(tmp_path):
    from lms.tracking.interop.export import events_export

    own = UserFactory(username="ada")
    path = csv(tmp_path / "t.csv", "user_id,order,question,correct\n78276,1,q1,1\n")
    run("--format", "table", str(path))
    run("--format", "table", str(path), "--learner-prefix", "assist-")
    assert set(User.objects.filter(external_source="table").values_list("username", flat=True)) == {
        "78276",
        "assist-78276",
    }
    page = {"id": str(uuid.uuid4()), "time": "2025-01-01T00:00:00+00:00", "verb": "navigation.page_viewed"}
    assert not events_ingest_many(
        items=[(own.pk, {**page, "payload": {"path": "/"}})], source="server"
    ).errors
    out = tmp_path / "events.parquet"
    events_export(format="parquet", out=out)
    frame = pd.read_parquet(out)
    keys = dict(zip(frame["learner_id"], frame["learner_key"], strict=True))
    imported = dict(User.objects.filter(external_source="table").values_list("pk", "username"))
    assert {k: v for k, v in keys.items() if k in imported} == imported
    assert pd.isna(keys[own.pk])  # the site's own learner: no username in an export

    from recommender.event_frame import load_events

    assert len(load_events(out)) == 3  # the recommender reads the export with learner_key


# data-set layouts ----------------------------------------------------------------------
@pytest.fixture
def akt_slice(tmp_path) -> Path:
    """The first 40 lines (10 learners) of an AKT ASSIST2009 fold, with its id maps."""
    source = AKT_DIR / "assist2009_pid_test1.csv"
    if not source.is_file():
        pytest.skip(f"the shared AKT folds are not at {AKT_DIR} (see ../shared/data/README.md)")
    folder = tmp_path / "with-maps"
    folder.mkdir()
    lines = source.read_text().splitlines()[:40]
    (folder / "assist2009_pid_test1.csv").write_text("\n".join(lines) + "\n")
    for name in ("problems.json", "skill.json"):
        shutil.copy(AKT_DIR / name, folder / name)
    return folder / "assist2009_pid_test1.csv"


def test_akt_folds_import_as_graded_questions_of_their_skills(akt_slice):
    from recommender.datasets.akt import read_akt

    frame = read_akt(akt_slice)  # what the reader gives is what is stored, row for row
    summary = run("--format", "akt", str(akt_slice))
    assert f"events stored:       {len(frame)}" in summary and "bad lines:           0" in summary

    learners = set(User.objects.values_list("username", flat=True))
    header = akt_slice.read_text().splitlines()[0]  # "<user index>,<user id>"
    assert learners == set(frame["learner"]) and header.split(",")[1] == "78276" and "78276" in learners
    first = [e for e in events() if e.learner.username == "78276"]
    rows = frame[frame["learner"] == "78276"].sort_values("order")
    assert [e.verb for e in first] == ["quiz.graded"] * len(rows)
    assert [e.payload["questions"] for e in first] == [
        [{"question": q, "correct": c == 1.0}] for q, c in zip(rows["question"], rows["correct"], strict=True)
    ]
    assert [e.activity.title for e in first] == list(rows["activity"])
    skills = json.loads((akt_slice.parent / "skill.json").read_text())
    names = {k.strip() for k in skills}  # skill names, from the map; a multi-skill problem's activity
    assert all(set(e.activity.title.split(";")) <= names for e in events())  # is its skills, ";"-joined
    named = dict(Activity.objects.values_list("title", "slug"))
    assert named["Ordering Positive Decimals"] == "ordering-positive-decimals"  # readable, no digest
    assert set(Activity.objects.values_list("kind", flat=True)) == {"quiz"}
    assert Course.objects.values_list("slug", flat=True).get() == "assist2009_pid"

    again = run("--format", "akt", str(akt_slice))
    assert "events stored:       0" in again and f"duplicates:          {len(frame)}" in again


def test_akt_folds_without_maps_use_the_indices(akt_slice, tmp_path):
    bare = tmp_path / "bare"
    bare.mkdir()
    shutil.copy(akt_slice, bare / akt_slice.name)
    run("--format", "akt", str(bare / akt_slice.name))
    skill_ids = set(akt_slice.read_text().splitlines()[2].split(","))
    titles = {e.activity.title for e in events() if e.learner.username == "78276"}
    assert titles and all(
        set(t.split(";")) <= skill_ids for t in titles
    )  # the indices, as the file gives them


def test_a_file_not_in_the_layout_fails_clearly(tmp_path):
    path = csv(tmp_path / "x_test1.csv", "3,7\n1,2,3\n1,0\n")
    with pytest.raises(CommandError, match="reading failed: .*lines 2 and 3 have different numbers of ids"):
        run("--format", "akt", str(path))
