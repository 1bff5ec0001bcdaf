"""Friendly error pages: 400, 403, 404 and 500 as pages that lead back home, JSON under
/api/ (as every API answer is); never Django's URL list, not even for a mistyped
certificate code in development; the favicon; the API documentation page, served from
the vendored Swagger UI, and /api/schema/ that sends a browser to it."""

import re
import uuid

import pytest
from django.test import RequestFactory

from lms.core.views import bad_request, not_found, permission_denied, server_error
from lms.courses.models import CourseRole
from tests.factories import CourseFactory, UserFactory

pytestmark = pytest.mark.django_db

HTML = "text/html"


def _page(response, status: int) -> str:
    assert response.status_code == status
    assert response["Content-Type"].startswith(HTML)
    html = response.content.decode()
    assert 'href="/"' in html and "Go to the home page" in html
    assert "URLconf" not in html and "Traceback" not in html
    return html


@pytest.mark.parametrize("debug", [False, True])
def test_an_unknown_certificate_code_is_the_sites_own_404(client, settings, debug):
    settings.DEBUG = debug  # development too: make run is where the site is first seen
    for code in (str(uuid.uuid4()), "not-a-code", "x" * 300):
        html = _page(client.get(f"/certificates/{code}/"), 404)
        assert "We could not find that page" in html


def test_an_unknown_page_and_an_unknown_api_resource(client):
    html = _page(client.get("/no/such/page/"), 404)
    assert "/no/such/page/" in html  # the address, escaped, so the visitor sees the typo
    api = client.get("/api/no-such-thing")
    assert api.status_code == 404 and api.json() == {"error": "no such API resource"}


def test_403_is_a_page_that_says_whose_page_it_is_and_json_under_api(client):
    course = CourseFactory(slug="errors-course")
    student = UserFactory(username="errors-student")
    client.force_login(student)
    html = _page(client.get(f"/courses/{course.slug}/certificates/"), 403)
    assert "This page is not open to you" in html and "errors-student" in html
    request = RequestFactory().get("/api/labs/x")
    response = permission_denied(request)
    assert response.status_code == 403 and response["Content-Type"] == "application/json"


def test_400_and_500_pages_and_json(rf):
    page = bad_request(rf.get("/accounts/login/"), Exception("bad"))
    assert page.status_code == 400 and b"The server could not read this request" in page.content
    page = server_error(rf.get("/courses/"))
    assert page.status_code == 500 and b"Something went wrong on our side" in page.content
    api = server_error(rf.get("/api/events"))
    assert api.status_code == 500 and api["Content-Type"] == "application/json"
    assert b"internal error" in api.content
    assert not_found(rf.get("/api/x"), Exception()).status_code == 404


def test_a_500_page_renders_with_no_request_context(client, settings):
    """A view that crashes: the page, with no query and no navigation (the site may be half down)."""
    client.raise_request_exception = False
    settings.DEBUG = False
    from django.urls import path

    from lms.urls import urlpatterns

    def crash(request):
        raise RuntimeError("boom")

    settings.ROOT_URLCONF = type("urls", (), {"urlpatterns": [path("crash/", crash), *urlpatterns],
                                             "handler500": "lms.core.views.server_error"})  # fmt: skip
    response = client.get("/crash/")
    assert response.status_code == 500 and b"Something went wrong on our side" in response.content


def test_the_instructor_sees_the_certificates_of_their_course(client):
    from lms.progress.models import Certificate

    course = CourseFactory(slug="cert-course", title="Cert course")
    instructor = UserFactory(username="cert-teacher")
    CourseRole.objects.create(user=instructor, course=course)
    earned = Certificate.objects.create(learner=UserFactory(username="cert-ada", display_name="Ada L."),
                                        course=course, grade=0.93)  # fmt: skip
    client.force_login(instructor)
    outline = client.get(f"/courses/{course.slug}/").content.decode()
    assert f"/courses/{course.slug}/certificates/" in outline  # linked for instructors only
    html = client.get(f"/courses/{course.slug}/certificates/").content.decode()
    assert "1 certificate issued" in html and "Ada L." in html and "93%" in html
    assert f"/certificates/{earned.code}/" in html
    client.force_login(UserFactory(username="cert-other"))
    assert (
        f"/courses/{course.slug}/certificates/" not in client.get(f"/courses/{course.slug}/").content.decode()
    )


def test_the_favicon_and_the_api_documentation(client):
    icon = client.get("/favicon.ico")
    assert icon.status_code == 302 and icon["Location"].endswith("favicon.svg")
    assert 'rel="icon"' in client.get("/").content.decode()
    docs = client.get("/api/docs/")
    html = docs.content.decode()
    assert docs.status_code == 200 and "vendor/swagger-ui-5.36.0/swagger-ui-bundle.js" in html
    # served from this site, never a CDN (the CSRF token may spell "cdn": look at the links only)
    assets = re.findall(r'<(?:script|link)[^>]*(?:src|href)="([^"]+)"', html)
    assert assets and all(a.startswith("/") and not a.startswith("//") for a in assets), assets
    # a browser opening the schema is sent to the page; a tool gets the document
    browser = client.get("/api/schema/", HTTP_ACCEPT="text/html,application/xhtml+xml,*/*;q=0.8")
    assert browser.status_code == 302 and browser["Location"] == "/api/docs/"
    tool = client.get("/api/schema/", HTTP_ACCEPT="*/*")
    assert tool.status_code == 200 and b"openapi:" in tool.content
    as_json = client.get("/api/schema/?format=json", HTTP_ACCEPT="text/html,*/*;q=0.8")
    assert as_json.status_code == 200 and as_json.json()["openapi"].startswith("3.")
