"""Requests Django refuses before any view (``handler400``): JSON with a message under
/api/ (a body over DATA_UPLOAD_MAX_MEMORY_SIZE is 413), the HTML page elsewhere."""

import json

import pytest

from lms.courses.models import Activity, Enrollment
from tests.factories import ActivityFactory, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def learner(client):
    lab = ActivityFactory(slug="big-lab", kind=Activity.Kind.LAB, lab_path="x")
    user = UserFactory(username="big")
    Enrollment.objects.create(user=user, course=lab.course, track=Enrollment.Track.VERIFIED)
    client.force_login(user)
    return user


def test_an_oversize_json_body_is_a_413_with_a_message(client, learner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024 * 1024
    body = json.dumps({"code": "x = 1\n" * 300_000, "mode": "run"})  # 1.8 MB
    response = client.post("/api/labs/big-lab/submissions", body, content_type="application/json")
    assert response.status_code == 413
    assert response["Content-Type"] == "application/json"
    assert response.json()["error"] == "the request is larger than the 1 MiB the server accepts; send less"


def test_an_oversize_form_field_on_the_notebook_api_is_a_413(client, learner, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1024
    response = client.post("/api/labs/big-lab/notebook", {"padding": "x" * 4096})
    assert response.status_code == 413 and "larger than" in response.json()["error"]


def test_too_many_fields_is_a_400_json_under_api_and_a_page_elsewhere(client, learner, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 5
    fields = {f"f{i}": "1" for i in range(10)}
    response = client.post("/api/labs/big-lab/notebook", fields)
    assert response.status_code == 400 and response.json() == {
        "error": "the request has too many fields or files"
    }
    page = client.post("/accounts/login/", fields)
    assert page.status_code == 400 and page["Content-Type"].startswith("text/html")
