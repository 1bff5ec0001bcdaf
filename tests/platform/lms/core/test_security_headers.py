"""Security headers on every page, and CSRF on every form: no template posts without a
token, no view is exempt except the token-less event API, and a POST without the token
is refused."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.views import APIView

from tests.factories import UserFactory

ROOT = Path(__file__).resolve().parents[4]
TEMPLATES = [*ROOT.glob("platform/**/templates/**/*.html"), *ROOT.glob("analytics/templates/**/*.html")]
# The event API is authenticated by the session but takes no CSRF token (navigator.sendBeacon
# cannot send one): it accepts only requests whose Origin is this site (tracking/apis.py).
CSRF_EXEMPT = {"events-post"}


@pytest.mark.django_db
def test_pages_carry_csp_and_framing_headers(client):
    response = client.get("/")
    csp = response["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp
    assert response["X-Frame-Options"] == "DENY"
    assert response["X-Content-Type-Options"] == "nosniff"


def test_templates_have_no_inline_script_handler_or_style():
    for template in TEMPLATES:
        text = template.read_text()
        for script in re.finditer(r"<script(?P<attrs>[^>]*)>(?P<body>.*?)</script>", text, re.S):
            assert "src=" in script["attrs"] or not script["body"].strip(), f"inline script in {template}"
        assert not re.search(r"\son[a-z]+\s*=", text), f"inline event handler in {template}"
        assert not re.search(r"\sstyle\s*=|<style", text), f"inline style in {template}"


def test_every_post_form_carries_the_csrf_token():
    for template in TEMPLATES:
        for form in re.finditer(
            r"<form[^>]*method=\"post\"[^>]*>(.*?)</form>", template.read_text(), re.S | re.I
        ):
            assert "{% csrf_token %}" in form[1], f"a POST form without {{% csrf_token %}} in {template}"


def _patterns(resolver=None):
    for entry in (resolver or get_resolver()).url_patterns:
        if isinstance(entry, URLResolver):
            yield from _patterns(entry)
        elif isinstance(entry, URLPattern):
            yield entry


def test_no_view_is_csrf_exempt_but_the_event_api():
    from rest_framework.authentication import SessionAuthentication

    for pattern in _patterns():
        callback = pattern.callback
        if not getattr(callback, "csrf_exempt", False) or pattern.name in CSRF_EXEMPT:
            continue
        view = getattr(callback, "cls", None) or getattr(callback, "view_class", None)
        # DRF views are exempt from Django's middleware and check CSRF in SessionAuthentication.
        assert view is not None and issubclass(view, APIView), f"{pattern.pattern} is CSRF-exempt"
        authenticators = view().get_authenticators()
        assert all(isinstance(a, SessionAuthentication) for a in authenticators), (
            f"{pattern.pattern} skips CSRF"
        )


@pytest.mark.django_db
@pytest.mark.parametrize(
    "url, data",
    [
        ("/accounts/login/", {"username": "u", "password": "p"}),
        ("/accounts/signup/", {"username": "u"}),
        ("/accounts/logout/", {}),
        ("/accounts/password-reset/", {"email": "a@example.org"}),
        ("/preferences/personalization", {}),
        ("/api/labs/any-lab/submissions", {"code": "x", "mode": "run"}),
        ("/api/labs/any-lab/notebook", {}),
    ],
)
def test_a_post_without_the_csrf_token_is_refused(url, data):
    client = Client(enforce_csrf_checks=True)
    client.force_login(UserFactory())
    assert client.post(url, data).status_code == 403
