"""The authorization matrix: every URL of the site, requested as every role, against the
roles its view declares with ``@access`` (``lms.core.access``).

How it works:

- The URL configuration is walked recursively (``get_resolver()``), so a new endpoint
  cannot be missed; one without a declaration fails ``test_every_endpoint_declares_access``.
  Django's admin is Django's: it is one endpoint (its index), STAFF only (``ADMIN_ACCESS``).
- URL arguments come from one fixture world, keyed by the parameter's *name*
  (``SAMPLES``): one course taught by INSTRUCTOR, where the learner OWNER owns a
  submission, a discussion thread, a certificate, a data request...; STUDENT is enrolled
  in the same course and owns nothing; OTHER_INSTRUCTOR teaches another course; ANALYST is
  in the "Analysts" group (not staff); STAFF is ``is_staff``. A few URLs need another
  object for a name they share (a video for ``analytics:video``): ``OVERRIDES``. A
  parameter without a sample fails the test, naming it: add one to ``SAMPLES``.
- Each URL is requested with GET. An endpoint that answers GET with 405 is POST-only: it
  is sent a POST carrying a CSRF token (the clients enforce CSRF, as browsers meet it) and
  a minimal body (``BODIES``, else empty).

The rule checked for each URL x role:

- **let in**: a 2xx, or a 3xx that does not lead to a log-in page; for a POST also 400,
  405, 409 or 422: the dummy body was refused *after* the access checks, which answer
  401/403/404 instead;
- **denied**: 401, 403, 404, or a redirect to a log-in page (the site's or the admin's);
- let in must equal "the role is declared"; and no role may ever get a 5xx (nor any
  other status).

Each case runs in a transaction rolled back afterwards, so a POST that enrolls, logs out
or activates a model changes nothing for the next one; the world is built once per module.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from unittest import mock

import pytest
from django.conf import settings
from django.contrib.auth.tokens import default_token_generator
from django.db import transaction
from django.test import Client, override_settings
from django.urls import URLPattern, URLResolver, get_resolver, reverse
from django.utils import timezone
from django.utils.crypto import get_random_string
from django.utils.encoding import force_bytes
from django.utils.http import urlsafe_base64_encode

from lms.accounts.roles import analytics_learner_pseudonym
from lms.core.access import (
    ANALYST,
    ANONYMOUS,
    INSTRUCTOR,
    OTHER_INSTRUCTOR,
    OWNER,
    ROLES,
    STAFF,
    STUDENT,
    declared_access,
)

ADMIN_ACCESS = frozenset({STAFF})  # django.contrib.admin: staff only (is_staff), checked at its index
LET_IN_POST = {400, 405, 409, 422}  # a POST's dummy body refused after the access checks
DENIED = {401, 403, 404}
LAB_PATH = "neural-networks-deep-learning/labs/numpy-basics"
MEDIA = "lecture-1.mp4"


@dataclass(frozen=True)
class Endpoint:
    name: str  # "namespace:url-name"
    pattern: URLPattern | None  # None: the admin
    params: tuple[str, ...]
    access: frozenset[str] | None


def _walk(patterns, namespace: str = "", route: str = "") -> Iterator[Endpoint]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            if entry.app_name == "admin":
                yield Endpoint("admin:index", None, (), ADMIN_ACCESS)
                continue
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace
            yield from _walk(entry.url_patterns, inner or namespace, route + str(entry.pattern))
        elif isinstance(entry, URLPattern):
            name = entry.name or route + str(entry.pattern)
            full = f"{namespace}:{name}" if namespace else name
            params = tuple((route + str(entry.pattern)).split("<")[1:])
            params = tuple(p.split(">")[0].split(":")[-1] for p in params)
            yield Endpoint(full, entry, params, declared_access(entry.callback))


ENDPOINTS = list(_walk(get_resolver().url_patterns))
CASES = [(endpoint, role) for endpoint in ENDPOINTS for role in ROLES]


# --- The fixture world ---------------------------------------------------------------------


@dataclass
class Browser:
    client: Client
    session: str | None  # the session cookie to restore before each request (a logout clears it)
    csrf: str


@dataclass
class World:
    users: dict[str, Any]  # role -> User (no entry for ANONYMOUS)
    samples: dict[str, str]  # parameter name -> value
    overrides: dict[str, dict[str, str]]  # URL name -> {parameter: value}
    bodies: dict[str, dict[str, Any]]  # URL name -> POST body
    browsers: dict[str, Browser]  # role -> a logged-in client, reused by every case


def build_world(data_dir: Path) -> World:
    from analytics.models import ExportJob
    from lms.accounts.models import User
    from lms.accounts.services import analyst_grant
    from lms.courses.models import Activity, CourseRole, Question
    from lms.courses.services import enrollment_create
    from lms.discussions.models import Thread
    from lms.labs.models import Submission
    from lms.progress.models import Certificate
    from lms.recommendations.models import ModelVersion
    from tests.factories import ActivityFactory, CourseFactory, WeekFactory

    course = CourseFactory(slug="matrix-course", title="Matrix course")
    other = CourseFactory(slug="matrix-other", title="Another course")
    week = WeekFactory(course=course, slug="matrix-w1", position=1)
    video = ActivityFactory(week=week, slug="matrix-video", position=1, media=f"media/{MEDIA}")
    quiz = ActivityFactory(week=week, slug="matrix-quiz", position=2, kind=Activity.Kind.QUIZ, graded=True)
    Question.objects.create(activity=quiz, slug="q1", position=1, type="single", prompt="Pick", difficulty=1,
                            options=[{"text": "a", "correct": True}, {"text": "b", "correct": False}])  # fmt: skip
    lab = ActivityFactory(week=week, slug="matrix-lab", position=3, kind=Activity.Kind.LAB, lab_path=LAB_PATH)
    lecture = ActivityFactory(
        week=week, slug="matrix-lecture", position=4, transcript="Said once. Said twice."
    )
    _lecture_made(lecture, data_dir)

    users = {
        role: User.objects.create(username=f"matrix-{role}", email=f"{role}@example.org") for role in ROLES
    }
    del users[ANONYMOUS]
    users[STAFF].is_staff = True
    users[STAFF].save(update_fields=["is_staff"])
    analyst_grant(user=users[ANALYST])
    CourseRole.objects.create(user=users[INSTRUCTOR], course=course)
    CourseRole.objects.create(user=users[OTHER_INSTRUCTOR], course=other)
    owner = users[OWNER]
    for learner in (owner, users[STUDENT]):
        enrollment_create(user=learner, course=course)

    thread = Thread.objects.create(activity=lab, author=owner, title="Stuck", body="On step 2.")
    submission = Submission.objects.create(learner=owner, activity=lab, mode="run", code="x = 1", seed=1)
    certificate = Certificate.objects.create(learner=owner, course=course, grade=1.0)

    exports = data_dir / "exports"
    exports.mkdir(parents=True)
    (exports / "events.csv").write_text("learner_id\n")
    job = ExportJob.objects.create(format="csv", requested_by=users[ANALYST], status=ExportJob.Status.DONE,
                                   path=str(exports / "events.csv"), size=11)  # fmt: skip

    artifact = data_dir / "models" / "v1" / "artifact"
    artifact.mkdir(parents=True)
    (artifact.parent / "report").mkdir()
    (artifact.parent / "report" / "metrics.png").write_bytes(b"\x89PNG\r\n\x1a\n")
    version = ModelVersion.objects.create(number=1, status=ModelVersion.Status.CANDIDATE, path=str(artifact))

    samples = {
        "course": course.slug,
        "activity": lab.slug,
        "thread": str(thread.pk),
        "submission_id": str(submission.pk),
        "code": str(certificate.code),
        "name": MEDIA,
        "recommendation": uuid.uuid4().hex,
        "uidb64": urlsafe_base64_encode(force_bytes(owner.pk)),
        "token": "",  # made after the log-ins (a token is void once last_login changes)
        "job": str(job.pk),
        "number": str(version.number),
        "page": "overview",
        "chart": "funnel",
        "section": "videos",
        "request_id": str(_data_request(owner, data_dir)),
    }
    overrides = {
        "analytics:video": {"activity": video.slug},
        "analytics:quiz": {"activity": quiz.slug},
        "analytics:activity-csv": {"activity": video.slug, "chart": "heatmap"},
        "model-plot": {"name": "metrics"},
        "lecture-video": {"activity": lecture.slug},
        "lecture-captions": {"activity": lecture.slug},
    }
    bodies = {  # where a valid body says more than an empty one
        "analytics:at-risk-action": {"learner": analytics_learner_pseudonym(owner.pk), "action": "handled"},
        "discussion-thread-new": {"title": "Office hours?", "body": "When are they?"},
        "discussion-reply": {"body": "Fridays."},
        "lab-submissions": {"code": "x = 1", "mode": "run"},
    }
    return World(users, samples, overrides, bodies, {})


def _lecture_made(activity, data_dir: Path) -> None:
    """A generated lecture that is ready (its files stand in for a made one)."""
    import shutil

    from lms.lectures.models import LectureRender
    from lms.lectures.selectors import lecture_fingerprint

    folder = data_dir / "media" / "lectures"
    folder.mkdir(parents=True)
    stem = f"{activity.slug}-made"
    shutil.copy(Path(settings.CONTENT_ROOT) / "media" / MEDIA, folder / f"{stem}.mp4")
    (folder / f"{stem}.vtt").write_text("WEBVTT\n\n1\n00:00:00.000 --> 00:00:01.000\nSaid once.\n")
    LectureRender.objects.create(activity=activity, fingerprint=lecture_fingerprint(activity), status="ready",
                                 stem=stem, duration=6.0)  # fmt: skip


def _data_request(owner, data_dir: Path) -> uuid.UUID:
    """A finished download of the OWNER's data (lms.privacy)."""
    from lms.privacy.models import DataRequest

    archive = data_dir / "privacy" / "archive.zip"
    archive.parent.mkdir(parents=True)
    archive.write_bytes(b"PK\x05\x06" + b"\0" * 18)  # an empty zip
    found = DataRequest.objects.create(kind=DataRequest.Kind.DOWNLOAD, learner=owner,
                                       status=DataRequest.Status.DONE, path=str(archive), size=22,
                                       expires=timezone.now() + dt.timedelta(days=7))  # fmt: skip
    return found.pk


def log_in(world: World) -> None:
    for role in ROLES:
        client = Client(enforce_csrf_checks=True)
        if role != ANONYMOUS:
            client.force_login(world.users[role])
        csrf = get_random_string(32)
        client.cookies[settings.CSRF_COOKIE_NAME] = csrf
        session = client.cookies.get(settings.SESSION_COOKIE_NAME)
        world.browsers[role] = Browser(client, session.value if session else None, csrf)
    owner = world.users[OWNER]
    owner.refresh_from_db()
    world.samples["token"] = default_token_generator.make_token(owner)


@pytest.fixture(scope="module")
def world(django_db_setup, django_db_blocker, tmp_path_factory) -> Iterator[World]:
    """Built once, inside a transaction rolled back after the module; each case runs in
    a savepoint inside it."""
    data_dir = tmp_path_factory.mktemp("matrix-data")
    healthy = mock.patch("lms.site.views.run_checks", return_value={})  # the matrix is not about health
    with (
        override_settings(
            DATA_DIR=data_dir, MODEL_REGISTRY_DIR=data_dir / "models", MEDIA_ROOT=data_dir / "media"
        ),
        healthy,
        django_db_blocker.unblock(),
        transaction.atomic(),
    ):
        try:
            built = build_world(data_dir)
            log_in(built)
            yield built
        finally:
            transaction.set_rollback(True)


# --- The checks --------------------------------------------------------------------------


def test_every_endpoint_declares_access() -> None:
    undeclared = [e.name for e in ENDPOINTS if e.access is None]
    assert not undeclared, (
        f"{len(undeclared)} URL pattern(s) without @access(...) (lms.core.access): {undeclared}. "
        "Declare the roles expected to be let in next to the view."
    )
    print(f"authorization matrix: {len(ENDPOINTS)} endpoints x {len(ROLES)} roles = {len(CASES)} cases")


def _url(endpoint: Endpoint, world: World) -> str:
    if endpoint.pattern is None:
        return reverse(endpoint.name)
    given = {**world.samples, **world.overrides.get(endpoint.name, {})}
    missing = [p for p in endpoint.params if p not in given]
    if missing:
        pytest.fail(
            f"{endpoint.name}: no sample for URL parameter(s) {missing}; add one to the world's "
            f"samples in {__file__} (an object the OWNER owns in the INSTRUCTOR's course)."
        )
    return reverse(endpoint.name, kwargs={p: given[p] for p in endpoint.params})


def _let_in(response, *, posted: bool) -> bool:
    status = response.status_code
    if 300 <= status < 400:
        login_pages = (reverse("login"), reverse("admin:login"))
        return not response["Location"].split("?")[0].startswith(login_pages)
    if 200 <= status < 300 or (posted and status in LET_IN_POST):
        return True
    assert status in DENIED, f"status {status} is neither let in nor denied: {response.content[:500]!r}"
    return False


@pytest.mark.django_db
@pytest.mark.parametrize(("endpoint", "role"), CASES, ids=[f"{e.name}[{role}]" for e, role in CASES])
def test_access_matches_the_declaration(endpoint: Endpoint, role: str, world: World) -> None:
    url = _url(endpoint, world)
    browser = world.browsers[role]
    client = browser.client
    if browser.session:
        client.cookies[settings.SESSION_COOKIE_NAME] = browser.session
    else:
        client.cookies.pop(settings.SESSION_COOKIE_NAME, None)
    response = client.get(url)
    posted = response.status_code == 405
    if posted:
        body = world.bodies.get(endpoint.name, {})
        response = client.post(url, body, HTTP_X_CSRFTOKEN=browser.csrf)
    method = "POST" if posted else "GET"
    assert response.status_code < 500, f"{method} {url} as {role}: {response.status_code}"
    expected = role in (endpoint.access or ())
    assert _let_in(response, posted=posted) == expected, (
        f"{method} {url} as {role}: {response.status_code} {response.get('Location', '')} - "
        f"declared {sorted(endpoint.access or ())}, so {role} should be {'let in' if expected else 'denied'}"
    )
