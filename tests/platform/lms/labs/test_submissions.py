"""Run and Submit through the API, graded by a real Celery worker (Redis, queue
"grading") in the real sandbox; results stored, shown live, and recorded as events."""

import time
from pathlib import Path

import pytest

from lms.courses.models import Activity, Enrollment
from lms.labs.models import GraderStatus, Submission
from lms.labs.services import submission_grade
from lms.tracking.models import Event
from tests.factories import ActivityFactory, UserFactory

FIXTURES = Path(__file__).parent / "fixtures"
SOLUTION = "import numpy as np\n\ndef scale(x, factor):\n    return x * factor\n\ndef row_means(x):\n    return x.mean(axis=1)\n"
WRONG_AXIS = SOLUTION.replace("axis=1", "axis=0")


@pytest.fixture
def lab(settings):
    settings.CONTENT_ROOT = FIXTURES
    return ActivityFactory(slug="tiny-lab", kind=Activity.Kind.LAB, lab_path="tiny-lab", cpu_seconds=10)


@pytest.fixture
def learner(lab):
    user = UserFactory(username="coder")
    Enrollment.objects.create(user=user, course=lab.course, track=Enrollment.Track.VERIFIED)
    return user


def submit(client, lab, code, mode="submit"):
    return client.post(
        f"/api/labs/{lab.slug}/submissions", {"code": code, "mode": mode}, content_type="application/json"
    )


def wait_until_done(client, submission_id, timeout=120):
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        body = client.get(f"/api/submissions/{submission_id}").json()
        if not seen or seen[-1] != body["status"]:
            seen.append(body["status"])
        if body["status"] not in ("queued", "running"):
            return body, seen
        time.sleep(0.2)
    raise AssertionError(f"still {seen[-1]} after {timeout} s")


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_submit_is_graded_by_a_real_worker_and_recorded(client, lab, learner, celery_worker):
    assert GraderStatus.objects.get().ok
    client.force_login(learner)
    response = submit(client, lab, WRONG_AXIS)
    assert response.status_code == 202 and response.json()["status"] == "queued"
    body, seen = wait_until_done(client, response.json()["id"])
    assert seen[0] in ("queued", "running") and seen[-1] == "graded"
    assert body["score"] == 0.5
    tests = {t["name"]: t for t in body["result"]["tests"]}
    assert tests["row means of a small matrix"]["hint"].startswith("Average along axis=1")
    assert not tests["row means of a random matrix"]["passed"]

    graded = Event.objects.get(learner=learner, verb="lab.graded")
    assert graded.payload["score"] == 0.5 and graded.payload["mode"] == "submit"
    assert [t["passed"] for t in graded.payload["tests"]] == [True, True, False, False]
    assert Event.objects.filter(learner=learner, verb="lab.submitted").count() == 1

    body, _ = wait_until_done(client, submit(client, lab, SOLUTION).json()["id"])
    assert body["status"] == "graded" and body["score"] == 1.0


@pytest.mark.django_db
def test_run_executes_only_the_public_tests(client, lab, learner):
    client.force_login(learner)
    submission = Submission.objects.get(pk=submit(client, lab, SOLUTION, mode="run").json()["id"])
    submission_grade(submission_id=str(submission.pk))
    submission.refresh_from_db()
    assert submission.status == "graded" and submission.score == 1.0
    assert [t["public"] for t in submission.result["tests"]] == [True, True]
    assert not submission.counts_as_attempt


@pytest.mark.django_db
@pytest.mark.parametrize(
    "code, reason",
    [
        ("def scale(x, factor)\n    return x", "SyntaxError"),
        (None, "unchanged starter"),
    ],
)
def test_ungradable_notebooks_cost_no_attempt(client, lab, learner, code, reason):
    from course_content.labkit.source import make_starter

    code = code or make_starter((FIXTURES / "tiny-lab" / "lab.py").read_text())
    client.force_login(learner)
    submission = Submission.objects.get(pk=submit(client, lab, code).json()["id"])
    submission_grade(submission_id=str(submission.pk))
    submission.refresh_from_db()
    assert submission.status == "not_gradable" and submission.score is None
    assert reason in submission.result["reason"]
    assert not submission.counts_as_attempt


@pytest.mark.django_db
def test_grading_twice_does_nothing_the_second_time(client, lab, learner):
    client.force_login(learner)
    submission_id = submit(client, lab, SOLUTION).json()["id"]
    first = submission_grade(submission_id=submission_id)
    finished = first.finished
    second = submission_grade(submission_id=submission_id)
    assert second.finished == finished
    assert Event.objects.filter(verb="lab.graded").count() == 1


@pytest.mark.django_db
def test_tracks_enrollment_and_rate_limits(client, lab, settings):
    auditor = UserFactory(username="auditor")
    Enrollment.objects.create(user=auditor, course=lab.course, track=Enrollment.Track.AUDIT)
    client.force_login(auditor)
    refused = submit(client, lab, SOLUTION)
    assert refused.status_code == 403 and "verified track" in refused.json()["error"]
    first = submit(client, lab, SOLUTION, mode="run")
    assert first.status_code == 202
    submission_grade(submission_id=first.json()["id"])

    client.force_login(UserFactory(username="stranger"))
    assert submit(client, lab, SOLUTION, mode="run").status_code == 403

    settings.LAB_SUBMISSIONS_PER_MINUTE = 2
    client.force_login(auditor)
    second = submit(client, lab, SOLUTION, mode="run")
    assert second.status_code == 202
    submission_grade(submission_id=second.json()["id"])
    limited = submit(client, lab, SOLUTION, mode="run")
    assert limited.status_code == 429 and "too many" in limited.json()["error"]


@pytest.mark.django_db
def test_bad_requests_get_clear_errors(client, lab, learner):
    client.force_login(learner)
    assert submit(client, lab, "x = 1", mode="grade").status_code == 400
    assert "empty" in submit(client, lab, "   ").json()["error"]
    assert submit(client, lab, "x" * (300 * 1024)).status_code == 400
    video = ActivityFactory(slug="not-a-lab")
    assert client.post(f"/api/labs/{video.slug}/submissions", {"code": "x", "mode": "run"},
                       content_type="application/json").status_code == 404  # fmt: skip
    other = UserFactory(username="nosy")
    mine = submit(client, lab, SOLUTION, mode="run").json()["id"]
    client.force_login(other)
    assert client.get(f"/api/submissions/{mine}").status_code == 404


@pytest.mark.django_db
def test_grades_move_progress_submit_for_verified_and_green_runs_for_auditors(client, lab, learner):
    from lms.progress.models import ActivityProgress

    client.force_login(learner)
    for code in (WRONG_AXIS, SOLUTION, WRONG_AXIS):  # the best score is kept
        submission_grade(submission_id=submit(client, lab, code).json()["id"])
    row = ActivityProgress.objects.get(learner=learner, activity=lab)
    assert (row.score, row.passed) == (1.0, True) and row.completed is not None

    auditor = UserFactory(username="auditing-coder")
    Enrollment.objects.create(user=auditor, course=lab.course, track=Enrollment.Track.AUDIT)
    client.force_login(auditor)
    submission_grade(submission_id=submit(client, lab, WRONG_AXIS, mode="run").json()["id"])
    assert not ActivityProgress.objects.filter(
        learner=auditor, activity=lab, completed__isnull=False
    ).exists()
    submission_grade(submission_id=submit(client, lab, SOLUTION, mode="run").json()["id"])
    row = ActivityProgress.objects.get(learner=auditor, activity=lab)
    assert row.completed is not None and row.score is None and not row.passed  # done, but no grade


@pytest.mark.django_db
def test_the_lab_page_stays_within_ten_queries(client, lab, learner, django_assert_max_num_queries):
    client.force_login(learner)
    submission_grade(submission_id=submit(client, lab, WRONG_AXIS).json()["id"])
    client.get(f"/courses/{lab.course.slug}/{lab.slug}/")  # warm per-process caches
    with django_assert_max_num_queries(10):
        response = client.get(f"/courses/{lab.course.slug}/{lab.slug}/")
    assert response.status_code == 200 and "axis=0" in response.text  # the last submission's code
