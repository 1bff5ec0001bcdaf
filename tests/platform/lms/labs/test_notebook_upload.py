"""Uploading a completed .ipynb: the API returns its code for the editor, or a 400 whose
message says what is wrong (never a 500); without JavaScript the lab page does the same."""

from __future__ import annotations

import json
from pathlib import Path

import nbformat
import pytest
from django.core.files.uploadedfile import SimpleUploadedFile

from course_content.labkit.notebook import to_ipynb
from course_content.labkit.source import make_starter
from lms.courses.models import Activity, Enrollment
from lms.labs.notebooks import MAX_NOTEBOOK_BYTES
from lms.labs.services import MAX_CODE_BYTES
from tests.factories import ActivityFactory, UserFactory

pytestmark = pytest.mark.django_db
FIXTURES = Path(__file__).parent / "fixtures"
STUB = 'raise NotImplementedError("Write your code here")'
ANSWER = "Z = np.dot(W, A) + b"


@pytest.fixture
def lab(settings):
    settings.CONTENT_ROOT = FIXTURES
    # These tests upload many files a minute; the limit itself: test_submission_limits.py.
    settings.RATE_LIMITS = {
        **settings.RATE_LIMITS,
        "lab-notebook-user": "1000/m",
        "lab-notebook-ip": "1000/m",
    }
    return ActivityFactory(
        slug="upload-lab", kind=Activity.Kind.LAB, lab_path="matrix-lab", week__course__slug="c7"
    )


@pytest.fixture
def learner(client, lab):
    user = UserFactory(username="uploader")
    Enrollment.objects.create(user=user, course=lab.course, track=Enrollment.Track.AUDIT)
    client.force_login(user)
    return user


def notebook(lab_dir: str = "matrix-lab", answer: str | None = ANSWER) -> nbformat.NotebookNode:
    nb = nbformat.reads(nbformat.writes(to_ipynb(FIXTURES / lab_dir)), as_version=4)
    if answer is not None:
        for cell in nb.cells:
            cell.source = cell.source.replace(STUB, answer)
    return nb


def upload(client, lab, content: bytes | str | None, name: str = "mine.ipynb"):
    data = {} if content is None else {"notebook": SimpleUploadedFile(name, _bytes(content))}
    return client.post(f"/api/labs/{lab.slug}/notebook", data)


def _bytes(content) -> bytes:
    if isinstance(content, nbformat.NotebookNode):
        content = nbformat.writes(content)
    return content.encode() if isinstance(content, str) else content


def test_a_completed_notebook_comes_back_as_the_editors_code(client, lab, learner):
    response = upload(client, lab, notebook())
    assert response.status_code == 200, response.content
    starter = make_starter((FIXTURES / "matrix-lab" / "lab.py").read_text())
    assert response.json() == {"code": starter.replace(STUB, ANSWER)}


def test_a_notebook_without_cairn_metadata_is_accepted_when_its_cells_are_the_labs(client, lab, learner):
    nb = notebook()
    del nb.metadata["cairn"]
    assert upload(client, lab, nb).json()["code"].count(ANSWER) == 1


def error(response) -> str:
    assert response.status_code == 400, (response.status_code, response.content)
    assert response["Content-Type"].startswith("application/json")
    return response.json()["error"]


def test_upload_errors_are_400_with_a_message(client, lab, learner):
    assert "choose a .ipynb file" in error(upload(client, lab, None))
    assert "empty" in error(upload(client, lab, b""))
    big = b"{" + b" " * MAX_NOTEBOOK_BYTES + b"}"
    assert "larger than 2 MiB" in error(upload(client, lab, big))
    assert "not JSON (line 1, column 2" in error(upload(client, lab, "{oops"))
    assert "not JSON" in error(upload(client, lab, b"\x89PNG\r\n\x1a\n\x00\xff", name="cat.png"))
    assert "not JSON" in error(upload(client, lab, "[" * 100_000))  # nested too deep to parse
    assert "not a Jupyter notebook" in error(upload(client, lab, "[1, 2]"))
    assert "not a Jupyter notebook" in error(upload(client, lab, '{"cells": []}'))
    assert "not a valid Jupyter notebook" in error(upload(client, lab, '{"nbformat": 4, "cells": 3}'))
    bad_cells = {"nbformat": 4, "nbformat_minor": 5, "metadata": {}, "cells": [{"source": 7}]}
    assert "not a valid Jupyter notebook" in error(upload(client, lab, json.dumps(bad_cells)))
    assert "not a valid Jupyter notebook" in error(upload(client, lab, '{"nbformat": 99, "cells": []}'))


def test_another_labs_notebook_is_refused(client, lab, learner):
    message = error(upload(client, lab, notebook("tiny-lab", answer=None)))
    assert "another lab ('tiny-lab')" in message and "download this lab's notebook" in message

    stranger = notebook("tiny-lab", answer=None)
    del stranger.metadata["cairn"]
    assert "not downloaded from this lab" in error(upload(client, lab, stranger))
    empty = nbformat.v4.new_notebook()
    assert "not downloaded from this lab" in error(upload(client, lab, empty))


def test_a_notebook_that_lost_its_blanks_is_refused(client, lab, learner):
    nb = notebook()
    for cell in nb.cells:
        cell.source = cell.source.replace("### END CODE HERE ###\n", "")
    message = error(upload(client, lab, nb))
    assert "missing 1 of this lab's 1 code blanks" in message and "### START CODE HERE ###" in message


def test_code_over_the_submission_limit_is_refused(client, lab, learner):
    nb = notebook(answer=ANSWER + "\n    " + "#" * MAX_CODE_BYTES)
    assert "larger than 256 KiB" in error(upload(client, lab, nb))


def test_only_signed_in_learners_and_only_labs(client, lab):
    assert upload(client, lab, notebook()).status_code == 403
    client.force_login(UserFactory(username="visitor"))
    video = ActivityFactory(slug="a-video")
    assert client.post(f"/api/labs/{video.slug}/notebook", {}).status_code == 404
    assert (
        client.post(f"/api/labs/{lab.slug}/notebook", {"x": 1}, content_type="application/json").status_code
        == 415
    )


def test_without_javascript_the_page_takes_the_upload(client, lab, learner):
    page = f"/courses/{lab.course.slug}/{lab.slug}/"
    response = client.post(page, {"notebook": SimpleUploadedFile("mine.ipynb", _bytes(notebook()))})
    assert response.status_code == 200
    assert response.context["code"].count(ANSWER) == 1
    assert "Loaded your code from the notebook" in response.content.decode()

    refused = client.post(page, {"notebook": SimpleUploadedFile("mine.ipynb", b"{oops")})
    assert refused.status_code == 400
    body = refused.content.decode()
    assert "Could not use this notebook: this file is not a Jupyter notebook" in body
    assert refused.context["code"] == make_starter((FIXTURES / "matrix-lab" / "lab.py").read_text())


def test_the_lab_page_has_the_editor_and_a_labelled_upload(client, lab, learner):
    body = client.get(f"/courses/{lab.course.slug}/{lab.slug}/").content.decode()
    assert '<label for="notebook">Upload a completed notebook (.ipynb)</label>' in body
    assert 'id="notebook" name="notebook"' in body and 'enctype="multipart/form-data"' in body
    assert "vendor/codemirror-5.65.21/lib/codemirror.js" in body and "js/cairn-editor.js" in body
    assert "css/lab.css" in body and "//cdn" not in body and "https://" not in body
