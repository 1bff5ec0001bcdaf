"""The lab editor in a real browser: CodeMirror with the blanks shaded and a keyboard way
out, a completed .ipynb uploaded into it, then Run graded by a real worker in the real
sandbox; at phone width; and the upload without JavaScript."""

from pathlib import Path

import nbformat
import pytest

from course_content.labkit.notebook import to_ipynb
from lms.courses.models import Activity, Enrollment
from tests.factories import ActivityFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]
FIXTURES = Path(__file__).parent / "fixtures"
STUB = 'raise NotImplementedError("Write your code here")'
ANSWER = "Z = np.dot(W, A) + b"
# Each rendered line of the editor: its text, and "blank" / "marker" / "" for its shading.
LINES_JS = """() => Array.from(document.querySelectorAll('.CodeMirror-code > div')).map(d => [
  d.querySelector('pre.CodeMirror-line').textContent,
  d.querySelector('.cairn-blank') ? 'blank' : d.querySelector('.cairn-blank-marker') ? 'marker' : ''])"""


def editor_text(page) -> str:
    return page.evaluate("document.querySelector('.CodeMirror').CodeMirror.getValue()")


def completed_notebook(folder: Path) -> Path:
    nb = nbformat.reads(nbformat.writes(to_ipynb(FIXTURES / "matrix-lab")), as_version=4)
    for cell in nb.cells:
        cell.source = cell.source.replace(STUB, ANSWER)
    path = folder / "linear-forward.ipynb"
    path.write_text(nbformat.writes(nb))
    return path


@pytest.fixture
def lab(settings):
    settings.CONTENT_ROOT = FIXTURES
    return ActivityFactory(slug="editor-lab", kind=Activity.Kind.LAB, lab_path="matrix-lab", cpu_seconds=10,
                           week__course__slug="c3")  # fmt: skip


@pytest.fixture
def learner(lab):
    user = UserFactory(username="ada")
    Enrollment.objects.create(user=user, course=lab.course, track=Enrollment.Track.AUDIT)
    return user


@pytest.mark.worker
def test_blanks_are_shaded_an_uploaded_notebook_fills_the_editor_and_runs(
    logged_in_page, live_server, celery_worker, lab, learner, tmp_path
):
    page = logged_in_page.login(learner)
    page.goto(f"{live_server.url}/courses/c3/{lab.slug}/")
    page.wait_for_selector(".CodeMirror")
    assert page.locator("#code").is_hidden()  # the textarea stays the form field, behind CodeMirror
    assert page.locator("#blank-legend").is_visible()
    assert page.locator(".CodeMirror .cm-keyword", has_text="def").count() >= 1  # Python highlighting

    lines = page.evaluate(LINES_JS)
    shaded = [(text.strip(), kind) for text, kind in lines if kind]
    assert shaded == [
        ("### START CODE HERE ###", "marker"),
        (STUB, "blank"),
        ("### END CODE HERE ###", "marker"),
    ]
    assert all(kind == "" for text, kind in lines if "def linear_forward" in text or "return Z" in text)

    # Keyboard: Tab indents inside the editor; Esc then Tab moves on to the next control.
    page.locator(".CodeMirror-line", has_text="return Z").click()
    page.keyboard.press("Home")
    before = editor_text(page)
    page.keyboard.press("Tab")
    assert editor_text(page) != before and "        return Z" in editor_text(page)
    page.keyboard.press("Control+z")
    assert editor_text(page) == before
    page.keyboard.press("Escape")
    page.keyboard.press("Tab")
    assert page.evaluate("document.activeElement.textContent") == "Run public tests"
    assert editor_text(page) == before

    # A file that is not a notebook: a clear message, the code untouched.
    junk = tmp_path / "notes.ipynb"
    junk.write_text("these are my notes")
    page.get_by_label("Upload a completed notebook (.ipynb)").set_input_files(str(junk))
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_function("() => document.getElementById('upload-status').dataset.state === 'error'")
    assert (
        "Could not use notes.ipynb: this file is not a Jupyter notebook"
        in page.locator("#upload-status").inner_text()
    )
    assert editor_text(page) == before

    page.get_by_label("Upload a completed notebook (.ipynb)").set_input_files(
        str(completed_notebook(tmp_path))
    )
    page.get_by_role("button", name="Upload", exact=True).click()
    page.wait_for_function("() => document.getElementById('upload-status').dataset.state === 'ok'")
    assert (
        page.locator("#upload-status").inner_text().startswith("Loaded your code from linear-forward.ipynb")
    )
    assert editor_text(page) == before.replace(STUB, ANSWER)
    assert (ANSWER, "blank") in [(text.strip(), kind) for text, kind in page.evaluate(LINES_JS)]

    page.get_by_role("button", name="Run public tests").click()
    page.wait_for_function("() => ['graded', 'not_gradable', 'failed'].includes(document.getElementById('status').dataset.status)",
                           timeout=60000)  # fmt: skip
    # a Run checks the public tests: it is not shown as a grade
    assert page.locator("#status").inner_text().startswith("Run finished · 1 of 1 public tests passed")
    assert page.locator("#results li.pass").count() == 1 and page.locator("#results li.fail").count() == 0


def test_at_phone_width_nothing_overflows(logged_in_page, live_server, lab, learner):
    page = logged_in_page.login(learner)
    page.set_viewport_size({"width": 360, "height": 740})
    page.goto(f"{live_server.url}/courses/c3/{lab.slug}/")
    page.wait_for_selector(".CodeMirror")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    for name in ("Upload", "Run public tests", "Reset to starter"):
        box = page.get_by_role("button", name=name, exact=True).bounding_box()
        assert box and box["x"] >= 0 and box["x"] + box["width"] <= 360, name
    assert page.locator(".CodeMirror").bounding_box()["width"] <= 360


def test_without_javascript_the_textarea_is_the_editor_and_the_upload_still_works(
    browser, live_server, client, lab, learner, tmp_path
):
    client.force_login(learner)
    context = browser.new_context(java_script_enabled=False)
    context.add_cookies(
        [{"name": "sessionid", "value": client.cookies["sessionid"].value, "url": live_server.url}]
    )
    page = context.new_page()
    try:
        page.goto(f"{live_server.url}/courses/c3/{lab.slug}/")
        assert page.locator(".CodeMirror").count() == 0 and page.locator("#code").is_visible()
        page.get_by_label("Upload a completed notebook (.ipynb)").set_input_files(
            str(completed_notebook(tmp_path))
        )
        page.get_by_role("button", name="Upload", exact=True).click()
        page.wait_for_load_state()
        assert "Loaded your code from the notebook" in page.locator("#upload-status").inner_text()
        assert ANSWER in page.locator("#code").input_value()
    finally:
        context.close()
