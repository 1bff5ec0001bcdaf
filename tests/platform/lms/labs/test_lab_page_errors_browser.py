"""What the lab page says when the server refuses or cannot grade: a body over the size
limit, a run while the previous one is still being graded, then that run failing (the
page follows it, shows why and stops polling). Browser, live server, no worker."""

from pathlib import Path

import pytest

from lms.courses.models import Activity, Enrollment
from lms.labs.models import Submission
from lms.labs.services import submission_fail
from tests.factories import ActivityFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FIXTURES = Path(__file__).parent / "fixtures"
CODEMIRROR = "document.querySelector('.CodeMirror').CodeMirror"
STATUS = "document.getElementById('status')"


def test_refusals_and_a_failed_run_are_shown_not_network_errors(logged_in_page, live_server, settings):
    settings.CONTENT_ROOT = FIXTURES
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 64 * 1024
    lab = ActivityFactory(slug="refusing-lab", kind=Activity.Kind.LAB, lab_path="tiny-lab",
                          week__course__slug="c5")  # fmt: skip
    learner = UserFactory(username="refused")
    Enrollment.objects.create(user=learner, course=lab.course, track=Enrollment.Track.VERIFIED)
    page = logged_in_page.login(learner)
    page.goto(f"{live_server.url}/courses/c5/{lab.slug}/")
    page.wait_for_selector(".CodeMirror")
    run = page.get_by_role("button", name="Run public tests")

    page.evaluate(f"text => {CODEMIRROR}.setValue(text)", "x = 1\n" * 20_000)  # 120 kB
    run.click()
    page.wait_for_function(f"() => {STATUS}.dataset.status === 'refused'")
    assert page.locator("#status").inner_text() == (
        "the request is larger than the 64 KiB the server accepts; send less"
    )
    assert not Submission.objects.exists()

    pending = Submission.objects.create(learner=learner, activity=lab, mode="run", code="x = 1", seed=1)
    page.evaluate(f"text => {CODEMIRROR}.setValue(text)", "x = 2\n")
    run.click()
    page.wait_for_function(f"() => {STATUS}.innerText.includes('still being graded')")
    assert "following it below" in page.locator("#status").inner_text()
    page.wait_for_function(f"() => {STATUS}.dataset.status === 'queued'", timeout=10_000)  # it follows it

    submission_fail(
        submission=pending, error="grading took longer than its limit; no attempt was used. Run again"
    )
    page.wait_for_function(f"() => {STATUS}.dataset.status === 'failed'", timeout=10_000)
    assert page.locator("#status").inner_text() == (
        "The grader could not grade this: grading took longer than its limit; no attempt was used. Run again"
    )
    requests = []
    page.on("request", lambda request: requests.append(request.url))
    page.wait_for_timeout(1500)
    assert not [url for url in requests if "/api/submissions/" in url]  # polling has stopped
    assert Submission.objects.get().status == "failed"
