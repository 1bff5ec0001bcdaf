"""The browser tracker keeps what it could not send and sends it again: offline
periods and page reloads lose nothing, and nothing is stored twice."""

import pytest

from lms.tracking.models import Event
from tests.factories import ActivityFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_events_survive_going_offline_and_reloading(logged_in_page, live_server):
    learner = UserFactory(username="offline")
    video = ActivityFactory(slug="c2-w1-offline", week__course__slug="c2", media="media/lecture-2.mp4")
    page = logged_in_page.login(learner)
    url = f"{live_server.url}/courses/c2/{video.slug}/"
    page.goto(url)
    page.wait_for_function(
        "() => window.CairnTracker && CairnTracker.pending() === 0 && document.readyState === 'complete'"
    )
    page.evaluate("CairnTracker.flush()")
    page.wait_for_function("() => CairnTracker.pending() === 0", timeout=15000)
    before = Event.objects.filter(learner=learner).count()

    page.context.set_offline(True)
    ids = page.evaluate(
        "[1, 2, 3].map(i => CairnTracker.track('navigation.page_viewed', {path: '/offline/' + i}))"
    )
    page.evaluate("CairnTracker.flush()")
    page.wait_for_function("() => CairnTracker.stats.retries >= 1", timeout=15000)
    assert page.evaluate("CairnTracker.pending()") == 3
    assert Event.objects.filter(learner=learner).count() == before

    # Reload while still holding the unsent events: they live in localStorage.
    page.context.set_offline(False)
    page.goto(url)
    page.wait_for_function("() => CairnTracker.pending() === 0", timeout=20000)

    stored = Event.objects.filter(learner=learner, verb="navigation.page_viewed")
    assert sorted(str(e.event_id) for e in stored) == sorted(ids)
    assert sorted(e.payload["path"] for e in stored) == ["/offline/1", "/offline/2", "/offline/3"]
    assert all(e.activity_id == video.pk for e in stored)
