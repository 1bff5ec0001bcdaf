"""Fixtures of the event-store tests."""

import json

import pytest


@pytest.fixture
def api(client, learner):
    """Post to ``/api/events`` as the test's ``learner``: a dict (sent as JSON), or the
    raw text or bytes as sent."""
    client.force_login(learner)

    def post(body, **headers):
        data = body if isinstance(body, str | bytes) else json.dumps(body)
        return client.post("/api/events", data=data, content_type="application/json", headers=headers)

    return post
