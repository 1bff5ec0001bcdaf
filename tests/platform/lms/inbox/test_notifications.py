"""Notifications in the inbox: a reply to your thread, a graded lab Submit, a certificate
earned, a deadline coming; each once (keyed), for the right person only, counted in the
navigation until read, opened to what it is about, and e-mailed by the worker after the
commit, never inside the request."""

from __future__ import annotations

import datetime as dt
import time

import pytest
from django.core import mail
from django.db import transaction
from django.utils import timezone

from lms.courses.models import Activity, Enrollment
from lms.courses.services import enrollment_create
from lms.discussions.services import post_create, thread_create
from lms.inbox.models import Message
from lms.inbox.selectors import messages_unread_count
from lms.inbox.services import deadlines_notify, notification_send
from lms.labs.models import Submission
from lms.progress.models import Certificate
from lms.progress.services import progress_scored
from tests.factories import ActivityFactory, UserFactory


def _notes(user, kind: str) -> list[Message]:
    return list(Message.objects.filter(recipient=user, kind=kind))


@pytest.mark.django_db
def test_a_reply_notifies_the_threads_author_only(small_course):
    course, items = small_course
    author, other = UserFactory(username="asker"), UserFactory(username="helper", display_name="Helper")
    for user in (author, other):
        enrollment_create(user=user, course=course)
    thread = thread_create(author=author, activity=items["video"], title="Why ReLU?", body="Please explain.")
    post_create(author=author, thread=thread, body="Adding details myself.")  # own reply: nothing
    assert _notes(author, "reply") == []
    post = post_create(author=other, thread=thread, body="Because <b>gradients</b> flow.\n\nSee the notes.")
    [note] = _notes(author, "reply")
    assert note.subject == "New reply to “Why ReLU?”" and note.key == f"reply:{post.pk}"
    # the replier is the sender (shown by name, set to null when they are erased); none of
    # their text is copied into someone else's inbox
    assert note.sender == other and "gradients" not in note.body and "helper" not in note.body.lower()
    assert note.body == "Someone replied to your thread “Why ReLU?” on Intro video (Course Nine)."
    assert note.link == f"/courses/c9/c9-video/discussion/{thread.pk}/"
    assert _notes(other, "reply") == []
    post.save()  # saved again (an edit): still one notification
    assert len(_notes(author, "reply")) == 1


@pytest.mark.django_db
def test_a_graded_submit_notifies_a_run_does_not():
    lab = ActivityFactory(slug="note-lab", kind=Activity.Kind.LAB, lab_path="x", title="Linear forward")
    learner = UserFactory(username="lab-learner")
    for mode in ("run", "submit"):
        sub = Submission.objects.create(learner=learner, activity=lab, mode=mode, code="x = 1", seed=1)
        sub.status, sub.score, sub.finished = Submission.Status.GRADED, 0.75, timezone.now()
        sub.save(update_fields=["score", "finished", "status"])
        sub.save(update_fields=["status"])  # a second save sends nothing twice
    [note] = _notes(learner, "grade")
    assert (
        note.subject == "Graded: Linear forward · 75%"
        and note.link == f"/courses/{lab.course.slug}/note-lab/"
    )
    failed = Submission.objects.create(learner=learner, activity=lab, mode="submit", code="x", seed=2,
                                       status=Submission.Status.FAILED)  # fmt: skip
    failed.save()
    assert len(_notes(learner, "grade")) == 1


@pytest.mark.django_db
def test_a_certificate_earned_is_announced_with_its_link(small_course):
    course, items = small_course
    learner = UserFactory(username="graduate")
    enrollment_create(user=learner, course=course, track=Enrollment.Track.VERIFIED)
    progress_scored(learner_id=learner.pk, activity=items["quiz"], score=1.0, passed=True)
    assert _notes(learner, "certificate") == []
    progress_scored(learner_id=learner.pk, activity=items["quiz2"], score=0.9, passed=True)
    certificate = Certificate.objects.get(learner=learner, course=course)
    [note] = _notes(learner, "certificate")
    assert (
        note.subject == "Certificate earned: Course Nine"
        and note.link == f"/certificates/{certificate.code}/"
    )
    progress_scored(learner_id=learner.pk, activity=items["quiz2"], score=1.0, passed=True)
    assert len(_notes(learner, "certificate")) == 1


@pytest.mark.django_db
def test_deadlines_coming_once_per_learner_and_week_for_open_graded_work(small_course):
    course, items = small_course
    behind, done = UserFactory(username="behind"), UserFactory(username="done")
    simulated = UserFactory(username="sim-1", external_source="simulation")
    for user in (behind, done, simulated):
        enrollment_create(user=user, course=course, track=Enrollment.Track.VERIFIED)
    progress_scored(learner_id=done.pk, activity=items["quiz"], score=1.0, passed=True)
    session = Enrollment.objects.get(user=behind, course=course).session
    # week 1's soft deadline is starts + 6 days: tomorrow, seen from starts + 5
    assert deadlines_notify(today=session.starts + dt.timedelta(days=5)) == 1
    [note] = _notes(behind, "deadline")
    assert note.subject.startswith("Week one: soft deadline on") and "Week one quiz" in note.body
    assert note.link == "/courses/c9/progress/"
    assert _notes(done, "deadline") == [] and _notes(simulated, "deadline") == []
    assert deadlines_notify(today=session.starts + dt.timedelta(days=6)) == 0  # once
    assert deadlines_notify(today=session.starts + dt.timedelta(days=1)) == 0  # too early for any week
    assert deadlines_notify(today=session.starts + dt.timedelta(days=12)) == 2  # week two, both learners


@pytest.mark.django_db
def test_nothing_for_a_closed_account_and_keys_are_per_recipient():
    closed = UserFactory(username="closed", is_active=False)
    assert notification_send(recipient=closed, kind="grade", key="k", subject="s", body="b") is None
    a, b = UserFactory(username="a1"), UserFactory(username="b1")
    assert notification_send(recipient=a, kind="grade", key="same", subject="s", body="b") is not None
    assert notification_send(recipient=b, kind="grade", key="same", subject="s", body="b") is not None
    assert notification_send(recipient=a, kind="grade", key="same", subject="s", body="b") is None


@pytest.mark.django_db
def test_the_unread_count_the_inbox_and_opening_a_notification(client):
    learner, other = UserFactory(username="reader"), UserFactory(username="nosy")
    note = notification_send(recipient=learner, kind="grade", key="g1", subject="Graded: Lab · 80%",
                             body="Your <submission> scored 80%.", link="/courses/c1/lab/")  # fmt: skip
    notification_send(recipient=learner, kind="deadline", key="d1", subject="Week 1 due", body="Soon.")
    assert messages_unread_count(user=learner) == 2
    client.force_login(learner)
    home = client.get("/").content.decode()
    assert 'id="inbox-unread" aria-label="2 unread">2<' in home
    assert "Messages for you" not in home  # notifications are in the inbox, not on the home page
    page = client.get("/me/inbox/").content.decode()
    assert "Graded: Lab · 80%" in page and "Your &lt;submission&gt; scored 80%." in page
    assert page.count("unread") >= 2

    # someone else cannot open (or read) it: they land on their own inbox
    client.force_login(other)
    response = client.post("/me/inbox/open/", {"message": note.pk})
    assert response.status_code == 302 and response["Location"] == "/me/inbox/"
    note.refresh_from_db()
    assert note.read is None
    assert client.post("/me/inbox/open/", {"message": "1; drop"}).status_code == 400

    client.force_login(learner)
    response = client.post("/me/inbox/open/", {"message": note.pk})
    assert response.status_code == 302 and response["Location"] == "/courses/c1/lab/"
    assert messages_unread_count(user=learner) == 1
    # mark all read, back to the inbox (never to another site)
    response = client.post("/me/messages/read/", {"next": "https://evil.example/"})
    assert response["Location"] == "/"
    assert messages_unread_count(user=learner) == 0
    assert 'id="inbox-unread"' not in client.get("/me/inbox/").content.decode()
    assert client.post("/me/messages/read/", {"next": "/me/inbox/"})["Location"] == "/me/inbox/"


def test_a_notification_is_emailed_by_the_worker_with_its_link(celery_worker, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://cairn.example"
    learner = UserFactory(username="mailed", email="mailed@example.org")
    quiet = UserFactory(username="quiet", email="quiet@example.org")
    with transaction.atomic():
        note = notification_send(recipient=learner, kind="certificate", key="c1", subject="Certificate earned: X",
                                 body="Congratulations.", link="/certificates/abc/")  # fmt: skip
        settings.INBOX_EMAIL = False  # configured off: kept in the site only
        notification_send(
            recipient=quiet, kind="certificate", key="c1", subject="Certificate earned: X", body="B"
        )
        settings.INBOX_EMAIL = True
        assert Message.objects.get(pk=note.pk).emailed is None  # nothing is sent inside the transaction
    deadline = time.monotonic() + 20
    while Message.objects.get(pk=note.pk).emailed is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert Message.objects.get(pk=note.pk).emailed is not None
    [sent] = mail.outbox
    assert sent.to == ["mailed@example.org"] and sent.subject == "Certificate earned: X"
    assert "Congratulations.\n\nhttps://cairn.example/certificates/abc/" in sent.body
    assert "via Cairn" not in sent.body  # the site's own notification has no sender signature
    assert Message.objects.get(recipient=quiet).emailed is None
