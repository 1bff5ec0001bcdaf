"""In-site messages: delivered to the recipient's home page (and e-mailed by a Celery
task where they have an address), marked read by their recipient only, part of the
learner's data download and erased with them."""

from __future__ import annotations

import time

import pytest
from django.core import mail
from django.core.exceptions import ValidationError
from django.db import transaction
from django.urls import reverse

from lms.inbox.models import Message
from lms.inbox.selectors import message_deliverable, messages_unread
from lms.inbox.services import message_send, messages_mark_read
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture
def people():
    return UserFactory(username="teacher", first_name="Ada", last_name="Teach"), UserFactory(
        username="learner", email=""
    )


def test_a_message_shows_on_the_home_page_until_read(client, people):
    teacher, learner = people
    message = message_send(sender=teacher, recipient=learner, subject="Checking in",
                           body="We miss you.\nWeek 2's quiz is waiting.")  # fmt: skip
    client.force_login(learner)
    html = client.get(reverse("home")).content.decode()
    assert "Messages for you" in html and "Checking in" in html and "From Ada Teach" in html
    assert "We miss you.<br>Week 2" in html  # the body keeps its lines, escaped
    assert f'id="message-{message.pk}"' in html

    # someone else cannot read it, nor mark it read
    other = UserFactory(username="other")
    client.force_login(other)
    assert "Checking in" not in client.get(reverse("home")).content.decode()
    assert client.post(reverse("messages-read"), {"message": message.pk}).status_code == 302
    message.refresh_from_db()
    assert message.read is None

    client.force_login(learner)
    assert client.post(reverse("messages-read"), {"message": "x1"}).status_code == 400
    response = client.post(reverse("messages-read"), {"message": message.pk})
    assert response.status_code == 302 and response["Location"] == reverse("home")
    message.refresh_from_db()
    assert message.read is not None
    assert "Messages for you" not in client.get(reverse("home")).content.decode()


def test_mark_all_read_and_anonymous_visitors(client, people):
    teacher, learner = people
    for n in range(3):
        message_send(sender=teacher, recipient=learner, subject=f"Note {n}", body="Hello")
    assert messages_unread(user=learner).count() == 3
    assert client.post(reverse("messages-read")).status_code == 302  # to the log-in page
    assert messages_unread(user=learner).count() == 3
    client.force_login(learner)
    client.post(reverse("messages-read"))
    assert messages_unread(user=learner).count() == 0
    assert messages_mark_read(user=learner) == 0
    assert client.get(reverse("messages-read")).status_code == 405


def test_nothing_is_sent_that_cannot_be_delivered(people):
    teacher, learner = people
    with pytest.raises(ValidationError, match="Write a message"):
        message_send(sender=teacher, recipient=learner, subject="Hi", body="   ")
    learner.is_active = False
    learner.save(update_fields=["is_active"])
    assert not message_deliverable(recipient=learner)
    with pytest.raises(ValidationError, match="closed"):
        message_send(sender=teacher, recipient=learner, subject="Hi", body="Hello")
    assert not Message.objects.exists()
    # no subject: one is given; no address: no e-mail is queued (a test transaction never commits)
    learner.is_active = True
    learner.save(update_fields=["is_active"])
    assert message_send(sender=teacher, recipient=learner, subject="", body="Hello").subject == "(no subject)"


def test_the_email_copy_is_sent_once_by_the_worker(celery_worker, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    teacher = UserFactory(username="teacher2", first_name="Ada", last_name="Teach")
    learner = UserFactory(username="learner2", email="learner2@example.org")
    with transaction.atomic():
        message = message_send(sender=teacher, recipient=learner, subject="Checking in", body="We miss you.")
    deadline = time.monotonic() + 20
    while Message.objects.get(pk=message.pk).emailed is None and time.monotonic() < deadline:
        time.sleep(0.2)
    assert Message.objects.get(pk=message.pk).emailed is not None
    assert len(mail.outbox) == 1
    sent = mail.outbox[0]
    assert sent.to == ["learner2@example.org"] and sent.subject == "Checking in"
    assert "We miss you." in sent.body and "Ada Teach, via Cairn" in sent.body

    from lms.inbox.tasks import message_email_task

    assert message_email_task.apply(args=[message.pk]).get() == "skipped"  # sent already
    assert message_email_task.apply(args=[10**9]).get() == "skipped"  # gone
    assert len(mail.outbox) == 1


def test_messages_are_in_the_learners_download_and_erased_with_them(people):
    from lms.privacy.erasure import rows_erase
    from lms.privacy.selectors import learner_records

    teacher, learner = people
    message_send(sender=teacher, recipient=learner, subject="Checking in", body="We miss you.")
    tables = learner_records(user=learner)
    assert [r["subject"] for r in tables["inbox.Message"]] == ["Checking in"]
    # the sender's copy: kept for the recipient when the sender is erased
    rows_erase(user=teacher)
    assert Message.objects.get().sender is None
    rows_erase(user=learner)
    assert not Message.objects.exists()
