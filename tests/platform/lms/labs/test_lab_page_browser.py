"""A learner submits a transposed answer on the lab page, sees the shape hint live,
fixes it and sees full marks: browser, real worker, real sandbox."""

from pathlib import Path

import pytest

from lms.courses.models import Activity, Enrollment
from tests.factories import ActivityFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]
FIXTURES = Path(__file__).parent / "fixtures"
CODEMIRROR = "document.querySelector('.CodeMirror').CodeMirror"


def editor_text(page) -> str:
    return page.evaluate(f"{CODEMIRROR}.getValue()")


def set_editor_text(page, text: str) -> None:
    page.evaluate(f"text => {CODEMIRROR}.setValue(text)", text)


def test_transposed_answer_gets_the_shape_hint_then_full_marks(
    logged_in_page, live_server, celery_worker, settings
):
    settings.CONTENT_ROOT = FIXTURES
    lab = ActivityFactory(slug="linear-forward-lab", kind=Activity.Kind.LAB, lab_path="matrix-lab",
                          cpu_seconds=10, week__course__slug="c1")  # fmt: skip
    learner = UserFactory(username="lin")
    Enrollment.objects.create(user=learner, course=lab.course, track=Enrollment.Track.VERIFIED)
    page = logged_in_page.login(learner)
    page.goto(f"{live_server.url}/courses/c1/{lab.slug}/")
    page.wait_for_selector(".CodeMirror")
    assert "raise NotImplementedError" in editor_text(page)
    assert "Implement linear_forward(W, A, b)" in page.locator(".instructions").inner_text()
    assert (
        page.locator(".instructions code", has_text="linear_forward(W, A, b)").count() == 1
    )  # Markdown rendered

    transposed = editor_text(page).replace(
        'raise NotImplementedError("Write your code here")', "Z = np.dot(A.T, W.T) + b.T"
    )
    set_editor_text(page, transposed)
    page.get_by_role("button", name="Submit for a grade").click()
    page.wait_for_function("() => ['graded', 'not_gradable', 'failed'].includes(document.getElementById('status').dataset.status)",
                           timeout=60000)  # fmt: skip
    assert page.locator("#status").inner_text().startswith("Graded · 0%")
    feedback = page.locator("#results").inner_text()
    assert "transposed" in feedback.lower(), feedback
    assert "(5, 3)" in feedback and "(3, 5)" in feedback, feedback

    set_editor_text(page, transposed.replace("Z = np.dot(A.T, W.T) + b.T", "Z = np.dot(W, A) + b"))
    page.get_by_role("button", name="Submit for a grade").click()
    page.wait_for_function(
        "() => document.getElementById('status').innerText.startsWith('Graded · 100%')", timeout=60000
    )
    assert page.locator("#results li.fail").count() == 0
    assert page.locator("#results li.pass").count() == 2


def test_the_notebook_download_is_a_valid_ipynb_without_the_solution(client, settings):
    import nbformat

    settings.CONTENT_ROOT = FIXTURES
    lab = ActivityFactory(
        slug="download-lab", kind=Activity.Kind.LAB, lab_path="matrix-lab", week__course__slug="c9"
    )
    client.force_login(UserFactory(username="dl"))
    response = client.get(f"/courses/c9/{lab.slug}/notebook.ipynb")
    assert response.status_code == 200
    notebook = nbformat.reads(response.content.decode(), as_version=4)
    source = "\n".join(cell.source for cell in notebook.cells)
    assert "np.dot(W, A) + b" not in source and "NotImplementedError" in source
