"""Password reset (issue 17, finding 12). The request does the same work whether or not
the address is known: it looks nobody up and sends no mail (the same queries, none on
users); a real Celery worker looks the address up and mails the link, which works. The
limiter answers with a clear 429 page per address and per client."""

from __future__ import annotations

import time

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from tests.factories import UserFactory

RESET = "/accounts/password-reset/"
KNOWN, UNKNOWN = "forgetful@example.org", "nobody-here@example.org"


def queries_of(client, email: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        response = client.post(RESET, {"email": email})
    assert response.status_code == 302 and response["Location"] == "/accounts/password-reset/sent/"
    return [q["sql"] for q in captured.captured_queries]


@pytest.mark.django_db
def test_known_and_unknown_addresses_cost_the_request_the_same(client, mailoutbox):
    UserFactory(username="forgetful", email=KNOWN)
    known, unknown = queries_of(client, KNOWN), queries_of(client, UNKNOWN)
    assert len(known) == len(unknown)
    assert not [q for q in known + unknown if "accounts_user" in q]  # nobody is looked up in-request
    assert mailoutbox == []  # and no mail is sent in-request: the task does it
    page = client.get("/accounts/password-reset/sent/").content.decode()
    assert "If an account uses that address" in page


@pytest.mark.django_db
def test_the_same_queries_by_count(client, django_assert_num_queries):
    UserFactory(username="forgetful", email=KNOWN)
    count = len(queries_of(client, "warm-up@example.org"))
    for email in (KNOWN, UNKNOWN):
        with django_assert_num_queries(count):
            client.post(RESET, {"email": email})


@pytest.mark.django_db
def test_a_malformed_address_is_refused_on_the_page(client):
    response = client.post(RESET, {"email": "not-an-address"})
    assert response.status_code == 200
    assert "Enter a valid email address." in response.content.decode()


def test_the_worker_mails_a_link_that_resets_the_password(celery_worker, client, mailoutbox):
    UserFactory(username="forgetful", email=KNOWN)
    assert client.post(RESET, {"email": UNKNOWN}).status_code == 302
    assert client.post(RESET, {"email": KNOWN}).status_code == 302
    deadline = time.monotonic() + 30
    while not mailoutbox and time.monotonic() < deadline:
        time.sleep(0.1)
    time.sleep(1.0)  # the unknown address's task has had its time too
    [message] = mailoutbox
    assert message.to == [KNOWN]
    link = next(line for line in message.body.splitlines() if "/accounts/reset/" in line).strip()
    form = client.get(link[link.index("/accounts/reset/") :], follow=True)
    assert form.status_code == 200 and "Choose a new password" in form.content.decode()
    done = client.post(
        form.redirect_chain[-1][0],
        {"new_password1": "brand-new-phrase-77", "new_password2": "brand-new-phrase-77"},
    )
    assert done.status_code == 302
    assert client.login(username="forgetful", password="brand-new-phrase-77")


@pytest.mark.django_db
def test_one_address_is_limited_whoever_asks(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password-reset-email": "3/h"}
    answers = [
        client.post(
            RESET, {"email": KNOWN.upper() if i % 2 else KNOWN}, REMOTE_ADDR=f"10.0.0.{i}"
        ).status_code
        for i in range(5)
    ]
    assert answers == [302, 302, 302, 429, 429]
    limited = client.post(RESET, {"email": KNOWN}, REMOTE_ADDR="10.0.1.1")
    assert limited.status_code == 429 and int(limited["Retry-After"]) > 0
    assert "Too many requests. Try again in" in limited.content.decode()
    assert client.post(RESET, {"email": UNKNOWN}).status_code == 302  # another address is not


@pytest.mark.django_db
def test_one_client_is_limited_whatever_it_asks(client, settings):
    settings.RATE_LIMITS = {**settings.RATE_LIMITS, "password-reset-ip": "20/h"}
    answers = [client.post(RESET, {"email": f"guess{i}@example.org"}).status_code for i in range(25)]
    assert answers == [302] * 20 + [429] * 5
    other = client.post(RESET, {"email": "guess99@example.org"}, REMOTE_ADDR="192.0.2.7")
    assert other.status_code == 302
    assert client.get(RESET).status_code == 200  # the form itself is never limited
