import pytest

from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def test_a_learner_logs_in_and_out_and_protected_pages_send_them_to_log_in(client):
    UserFactory(username="sam")  # factory password: "correct horse battery staple"
    assert client.get("/courses/c/a/").url.startswith("/accounts/login/?next=")
    bad = client.post("/accounts/login/", {"username": "sam", "password": "wrong"})
    assert bad.status_code == 200 and "correct username and password" in bad.content.decode()
    good = client.post("/accounts/login/", {"username": "sam", "password": "correct horse battery staple"})
    assert good.status_code == 302 and good.url == "/"
    assert "sam" in client.get("/").content.decode()
    assert client.post("/accounts/logout/").status_code == 302
    assert "Log in" in client.get("/").content.decode()


def test_sign_up_logs_the_new_learner_in(client):
    response = client.post(
        "/accounts/signup/",
        {
            "username": "newbie",
            "email": "newbie@example.org",
            "password1": "a-long-pass-phrase-42",
            "password2": "a-long-pass-phrase-42",
        },
    )
    assert response.status_code == 302
    assert "newbie" in client.get("/").content.decode()
    refused = client.post(
        "/accounts/signup/", {"username": "newbie", "email": "x", "password1": "1", "password2": "2"}
    )
    assert refused.status_code == 200 and "already exists" in refused.content.decode()
