"""Grading never leaves a submission running, and one learner cannot fill the grader:
code that crashes the grader ends failed with an event (real worker, real sandbox); at
most one submission per learner and lab is queued or running, and the per-minute limit
holds, under concurrent requests on PostgreSQL; notebook uploads are rate limited."""

import threading
import time
from pathlib import Path

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError, connection, transaction
from django.test import Client

from lms.courses.models import Activity, Enrollment
from lms.labs.models import Submission
from lms.labs.services import submission_grade
from lms.tracking.models import Event
from tests.factories import ActivityFactory, UserFactory
from tests.platform.lms.labs.test_submissions import SOLUTION, submit, wait_until_done

FIXTURES = Path(__file__).parent / "fixtures"
NUMPY_BASICS = "neural-networks-deep-learning/labs/numpy-basics"
LAB_SOURCE = (Path(__file__).parents[4] / "course_content" / NUMPY_BASICS / "lab.py").read_text()
# The payloads of the issue: an error message PostgreSQL cannot store (NUL, a lone
# surrogate) and a number too large for a float.
CRASHES = {
    "nul": LAB_SOURCE.replace("def sigmoid(x):\n", 'def sigmoid(x):\n    raise ValueError("\\x00")\n', 1),
    "surrogate": LAB_SOURCE.replace(
        "def sigmoid(x):\n", 'def sigmoid(x):\n    raise ValueError("\\udcff")\n', 1
    ),
    "overflow": LAB_SOURCE.replace("def L1(yhat, y):\n", "def L1(yhat, y):\n    return 10**400\n", 1),
}


def enrolled(username: str, *labs: Activity) -> object:
    user = UserFactory(username=username)
    for course in {lab.course for lab in labs}:
        Enrollment.objects.create(user=user, course=course, track=Enrollment.Track.VERIFIED)
    return user


@pytest.mark.worker
@pytest.mark.django_db(transaction=True)
def test_code_that_crashes_the_grader_ends_failed_with_an_event(client, celery_worker, settings):
    settings.CONTENT_ROOT = Path(__file__).parents[4] / "course_content"
    lab = ActivityFactory(slug="numpy-basics", kind=Activity.Kind.LAB, lab_path=NUMPY_BASICS, cpu_seconds=20)
    learner = enrolled("crasher", lab)
    client.force_login(learner)
    assert all(CRASHES[name] != LAB_SOURCE for name in CRASHES)
    for name, code in CRASHES.items():
        response = submit(client, lab, code)
        assert response.status_code == 202, (name, response.content)
        body, seen = wait_until_done(client, response.json()["id"], timeout=120)
        assert body["status"] in ("failed", "graded", "not_gradable"), (name, seen)
        event = Event.objects.get(verb="lab.graded", payload__submission=body["id"])
        if body["status"] == "failed":
            assert "no attempt was used" in body["error"] and "run again" in body["error"], body["error"]
            assert "\x00" not in body["error"] and event.payload["gradable"] is False
        else:  # the grader's own cleaning (labkit) turned it into feedback
            assert body["result"]["tests"]
    # Nothing is left running, and a new submission is accepted after the failures.
    assert not Submission.objects.filter(status__in=["queued", "running"]).exists()


@pytest.mark.django_db
def test_a_second_submission_waits_for_the_first(client, settings):
    settings.CONTENT_ROOT = FIXTURES
    lab = ActivityFactory(slug="tiny-lab", kind=Activity.Kind.LAB, lab_path="tiny-lab", cpu_seconds=10)
    other = ActivityFactory(slug="other-lab", kind=Activity.Kind.LAB, lab_path="tiny-lab", week=lab.week)
    client.force_login(enrolled("eager", lab))
    first = submit(client, lab, SOLUTION).json()["id"]
    second = submit(client, lab, SOLUTION, mode="run")
    assert second.status_code == 409
    assert second.json() == {
        "error": "your previous run of this lab is still being graded; wait for its result, then send again",
        "pending": first,
    }
    assert submit(client, other, SOLUTION).status_code == 202  # another lab is another queue slot
    submission_grade(submission_id=first)
    assert submit(client, lab, SOLUTION, mode="run").status_code == 202


@pytest.mark.django_db
def test_the_database_refuses_a_second_pending_submission():
    lab = ActivityFactory(slug="db-lab", kind=Activity.Kind.LAB, lab_path="x")
    learner = enrolled("twice", lab)
    Submission.objects.create(learner=learner, activity=lab, mode="run", code="x", seed=1)
    with pytest.raises(IntegrityError), transaction.atomic():
        Submission.objects.create(
            learner=learner, activity=lab, mode="run", code="x", seed=2, status="running"
        )
    Submission.objects.create(learner=learner, activity=lab, mode="run", code="x", seed=3, status="failed")


def _flood(requests: list[tuple[object, Activity]], settings) -> list[tuple[int, dict, object]]:
    """Send each (learner, lab) submission from its own thread (own connection, own
    transaction), all released at once; the answers."""
    barrier = threading.Barrier(len(requests))
    answers = []

    def send(learner, lab):
        client = Client()
        client.force_login(learner)
        try:
            barrier.wait(timeout=30)
            response = client.post(f"/api/labs/{lab.slug}/submissions", {"code": SOLUTION, "mode": "run"},
                                   content_type="application/json")  # fmt: skip
            answers.append((response.status_code, response.json(), learner))
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=request) for request in requests]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=120)
    assert len(answers) == len(requests)
    return answers


@pytest.mark.django_db(transaction=True)
def test_a_flood_gets_one_pending_submission_per_learner_and_lab(settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "lab-submissions-user": "1000/m",
        "lab-submissions-ip": "1000/m",
    }
    settings.LAB_SUBMISSIONS_PER_MINUTE = 1000  # only the one-pending rule is tested here
    lab = ActivityFactory(slug="flood-lab", kind=Activity.Kind.LAB, lab_path="x")
    flooder, patient = enrolled("flooder", lab), enrolled("patient", lab)
    answers = _flood([(flooder, lab)] * 16 + [(patient, lab)] * 4, settings)
    for learner in (flooder, patient):
        mine = [(code, body) for code, body, who in answers if who == learner]
        accepted = [body for code, body in mine if code == 202]
        assert len(accepted) == 1, sorted(code for code, _ in mine)
        assert all(code == 409 and body["pending"] == accepted[0]["id"] for code, body in mine if code != 202)
        assert Submission.objects.filter(learner=learner).count() == 1


@pytest.mark.django_db(transaction=True)
def test_the_per_minute_limit_holds_under_concurrent_requests(settings):
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "lab-submissions-user": "1000/m",
        "lab-submissions-ip": "1000/m",
    }
    settings.LAB_SUBMISSIONS_PER_MINUTE = 3
    first = ActivityFactory(slug="minute-lab-0", kind=Activity.Kind.LAB, lab_path="x")
    labs = [first] + [ActivityFactory(slug=f"minute-lab-{i}", kind=Activity.Kind.LAB, lab_path="x",
                                      week=first.week) for i in range(1, 10)]  # fmt: skip
    learner = enrolled("burst", *labs)
    answers = _flood([(learner, lab) for lab in labs], settings)
    codes = sorted(code for code, _, _ in answers)
    assert codes == [202] * 3 + [429] * 7, codes
    assert all("too many runs" in body["error"] for code, body, _ in answers if code == 429)
    assert Submission.objects.filter(learner=learner).count() == 3


@pytest.mark.django_db
def test_notebook_uploads_are_rate_limited_on_the_api_and_the_page(client, settings):
    settings.CONTENT_ROOT = FIXTURES
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "lab-notebook-user": "2/m"}
    cache.clear()
    lab = ActivityFactory(
        slug="upload-rl", kind=Activity.Kind.LAB, lab_path="matrix-lab", week__course__slug="c8"
    )
    client.force_login(enrolled("uploader", lab))

    def upload(url):
        return client.post(url, {"notebook": SimpleUploadedFile("mine.ipynb", b"{oops")})

    api = f"/api/labs/{lab.slug}/notebook"
    assert [upload(api).status_code for _ in range(2)] == [400, 400]  # counted, though refused
    limited = upload(api)
    assert limited.status_code == 429 and limited.json()["error"].startswith("Too many requests")
    assert int(limited["Retry-After"]) >= 1
    page = upload(f"/courses/c8/{lab.slug}/")
    assert page.status_code == 429 and "Too many uploads: try again in" in page.content.decode()
    started = time.monotonic()
    assert upload(api).status_code == 429 and time.monotonic() - started < 1  # refused before reading it


@pytest.mark.django_db
def test_code_holding_nul_or_a_lone_surrogate_is_refused_with_a_message(client):
    lab = ActivityFactory(slug="bad-chars", kind=Activity.Kind.LAB, lab_path="x")
    client.force_login(enrolled("typist", lab))
    for bad in ("\\u0000", "\\udcff"):
        response = client.post(f"/api/labs/{lab.slug}/submissions", f'{{"code": "x = 1 {bad}", "mode": "run"}}',
                               content_type="application/json")  # fmt: skip
        assert response.status_code == 400 and response.json()["code"], response.content
    assert not Submission.objects.exists()
