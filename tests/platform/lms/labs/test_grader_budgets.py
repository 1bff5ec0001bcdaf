"""Issue 17, findings 2 and 3, against the REAL sandbox (bubblewrap, unprivileged user).

The learner's code rebinds the harness's writer (it shares its process) and sends back
outputs built to exhaust the worker: 8 million nodes in a ~94 KB npz (the old grader:
4.5 GiB RSS, 81 s here), 12 members of just under 256 MiB of zeros (3.1 GiB, 23 s), a
public test's string array that became a 30-million-character stored message. The
outputs are now read by a limited helper process within a per-run budget, so each of
those tests fails with an explanation while the worker stays small. Messages with NUL
or lone surrogates and a returned ``10**400`` (which crashed ``submission_grade``) are
graded and stored in PostgreSQL.

Old numbers measured with the code at HEAD before this change (same machine, same
payloads: tests/course_content/hostile_outputs.py)."""

from __future__ import annotations

import time
from pathlib import Path

import pytest

from course_content.labkit.grade import grade
from course_content.labkit.messages import MAX_TEXT
from course_content.labkit.sandbox.bubblewrap import BubblewrapRunner
from lms.courses.models import Activity
from lms.labs.grading import feedback
from lms.labs.models import Submission
from lms.labs.services import submission_grade
from tests.course_content import hostile_outputs as hostile
from tests.course_content.test_readback import PeakRss
from tests.factories import ActivityFactory, UserFactory

TINY_LAB = Path(__file__).parent / "fixtures" / "tiny-lab"


@pytest.fixture(scope="module")
def runner():
    return BubblewrapRunner()


def by_name(result):
    return {t.name: t for t in result.tests}


def assert_storable(text: str, limit: int = MAX_TEXT) -> None:
    assert len(text) <= limit
    assert "\x00" not in text
    text.encode("utf-8")  # no lone surrogate


def grade_measured(lab: Path, code: str, runner, *, max_s: float, max_mib: float = 200):
    """Grade ``code``, asserting it took under ``max_s`` seconds and the worker's peak RSS
    grew by under ``max_mib`` MiB."""
    start = time.perf_counter()
    with PeakRss() as rss:
        result = grade(lab, code, seed=7, runner=runner)
    elapsed = time.perf_counter() - start
    assert elapsed < max_s, elapsed
    assert rss.growth_mib < max_mib, rss.growth_mib
    return result


def test_eight_million_items_fail_one_test_and_the_worker_stays_small(runner):
    grade(
        TINY_LAB,
        hostile.EIGHT_MILLION_ITEMS.replace("_hijack_once(_many_items)", "pass"),
        seed=7,
        runner=runner,
    )
    # before: 81 s and 4.5 GiB
    result = grade_measured(TINY_LAB, hostile.EIGHT_MILLION_ITEMS, runner, max_s=20)
    tests = by_name(result)
    for name in ("scale a small vector", "scale a random matrix"):
        assert tests[name].kind == "error" and "too many items" in tests[name].message, tests[name].message
    assert tests["row means of a small matrix"].passed and tests["row means of a random matrix"].passed


def test_twelve_large_members_fail_each_test_and_the_worker_stays_small(runner, tmp_path):
    lab = hostile.many_tests_lab(tmp_path)
    grade(lab, (lab / "lab.py").read_text(), seed=7, runner=runner)  # the reference, cached
    result = grade_measured(lab, hostile.LARGE_MEMBERS, runner, max_s=15)  # before: 23 s and 3.1 GiB
    assert len(result.tests) == 12
    for test in result.tests:
        assert not test.passed and test.kind == "error"
        assert "256 MiB of array data where the grader reads at most 64 MiB" in test.message, test.message


def test_a_huge_string_array_on_a_public_test_gives_a_short_message(runner):
    result = grade(TINY_LAB, hostile.HUGE_STRINGS, seed=7, runner=runner)
    public = by_name(result)["scale a small vector"]
    assert not public.passed and public.kind == "value"
    assert "different strings" in public.message and "xxxx" in public.message
    assert len(public.message) < 1_000  # before: 30,000,074 characters, stored and re-sent
    assert by_name(result)["scale a random matrix"].passed


@pytest.fixture
def scalar_activity(settings, tmp_path):
    hostile.scalar_lab(tmp_path)
    settings.CONTENT_ROOT = tmp_path
    return ActivityFactory(slug="scalar-lab", kind=Activity.Kind.LAB, lab_path="scalar", cpu_seconds=10)


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code, shown",
    [(hostile.NUL_MESSAGE, "ValueError: \ufffd"), (hostile.SURROGATE_MESSAGE, "ValueError: \ufffd")],
    ids=["nul", "surrogate"],
)
def test_messages_postgresql_refused_are_graded_and_stored(scalar_activity, code, shown):
    submission = Submission.objects.create(
        learner=UserFactory(), activity=scalar_activity, mode="submit", code=code, seed=3
    )
    submission_grade(submission_id=str(submission.pk))
    submission.refresh_from_db()
    assert submission.status == Submission.Status.GRADED, (submission.status, submission.error)
    tests = {t["name"]: t for t in submission.result["tests"]}
    assert tests["sigmoid of a vector"]["message"] == shown  # before: DataError / encoding error
    for test in tests.values():
        for key in ("message", "hint", "traceback"):
            assert_storable(test[key], 8_000)


@pytest.mark.django_db
def test_a_number_no_float_holds_is_a_failed_test_with_an_explanation(scalar_activity):
    submission = Submission.objects.create(
        learner=UserFactory(), activity=scalar_activity, mode="submit", code=hostile.HUGE_INT, seed=3
    )
    submission_grade(submission_id=str(submission.pk))  # before: OverflowError
    submission.refresh_from_db()
    assert submission.status == Submission.Status.GRADED and submission.score == 0.5
    tests = {t["name"]: t for t in submission.result["tests"]}
    l1 = tests["L1 of two vectors"]
    assert not l1["passed"] and l1["kind"] == "type"
    assert "too large to compare" in l1["message"] and "401 digits" in l1["message"]
    assert tests["sigmoid of a vector"]["passed"]


@pytest.mark.django_db
def test_feedback_cleans_every_text_again_before_it_is_stored(scalar_activity):
    raw = {
        "gradable": True,
        "reason": "r\x00" * 5_000,
        "score": float("nan"),
        "points": 1.0,
        "max_points": float("inf"),
        "notebook_error": "e\udcff" * 10_000,
        "tests": [
            {
                "name": "n\x00",
                "public": True,
                "passed": False,
                "points": 0.0,
                "max_points": 1.0,
                "kind": "error",
                "message": "m" * 30_000_097,
                "hint": "h\udcff",
                "traceback": "\x00" * 100_000,
                "wall_s": 0.25,
            }
        ],
    }
    shown = feedback(raw)
    submission = Submission.objects.create(
        learner=UserFactory(), activity=scalar_activity, mode="run", code="x = 1", seed=1, result=shown
    )
    submission.refresh_from_db()
    stored = submission.result
    assert stored["score"] == 0.0 and stored["max_points"] == 0.0
    assert_storable(stored["reason"])
    assert_storable(stored["notebook_error"], 8_000)
    test = stored["tests"][0]
    assert test["name"] == "n\ufffd" and test["hint"] == "h\ufffd"
    assert_storable(test["message"])
    assert test["message"].endswith("more characters)")
    assert_storable(test["traceback"], 8_000)
