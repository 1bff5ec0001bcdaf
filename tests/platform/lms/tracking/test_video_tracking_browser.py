"""A real browser plays, pauses, seeks and changes speed on a real video page; the
stored events, played segments included, match what happened."""

import pytest

from lms.tracking.models import Event
from tests.factories import ActivityFactory, UserFactory

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

TRANSCRIPT = " ".join(f"Sentence number {i} of the lecture explains gradient descent." for i in range(20))


def test_video_events_and_played_segments_match_what_happened(logged_in_page, live_server):
    learner = UserFactory(username="grace")
    video = ActivityFactory(
        slug="c1-w2-gradient-descent",
        week__course__slug="nn",
        media="media/lecture-1.mp4",
        transcript=TRANSCRIPT,
    )
    page = logged_in_page.login(learner)
    page.goto(f"{live_server.url}/courses/nn/{video.slug}/")
    page.wait_for_function("() => document.getElementById('lecture').readyState >= 1")
    duration = page.evaluate("document.getElementById('lecture').duration")
    assert 5.5 < duration < 6.5  # the 6-second offline clip

    # Play from 0 to about 1.5 s, then pause.
    page.evaluate("document.getElementById('lecture').play()")
    page.wait_for_function("() => document.getElementById('lecture').currentTime >= 1.5")
    page.evaluate("document.getElementById('lecture').pause()")
    paused_at = page.evaluate("document.getElementById('lecture').currentTime")
    # Seek forward to 4 s while paused, switch to 1.5x with the page's button, play to the end.
    page.evaluate("document.getElementById('lecture').currentTime = 4")
    page.wait_for_function("() => !document.getElementById('lecture').seeking")
    # The speed change is reported from the "ratechange" event, which the browser fires a
    # moment after the click: wait for it, so it is not stamped in the same millisecond as
    # the play that follows (the stored order is by time).
    page.evaluate("() => { window.rated = new Promise((done) => "
                  "document.getElementById('lecture').addEventListener('ratechange', done, {once: true})); }")  # fmt: skip
    page.get_by_role("button", name="1.5×").click()
    page.evaluate("() => window.rated.then(() => new Promise((done) => setTimeout(done, 5)))")
    page.evaluate("document.getElementById('lecture').play()")
    page.wait_for_function("() => document.getElementById('lecture').ended", timeout=15000)
    page.get_by_role("button", name="Transcript").click()

    page.evaluate("CairnTracker.flush()")
    page.wait_for_function("() => CairnTracker.pending() === 0", timeout=15000)

    events = list(Event.objects.filter(learner=learner).order_by("time", "received"))
    verbs = [e.verb for e in events]
    assert verbs == [
        "video.loaded",
        "video.played",
        "video.paused",
        "video.seeked",
        "video.speed_changed",
        "video.played",
        "video.completed",
        "video.transcript_hidden",
    ], verbs
    by_verb = {e.verb: e.payload for e in events}
    assert all(e.activity_id == video.pk and e.course_id == video.course_id for e in events)
    assert by_verb["video.loaded"]["duration"] == pytest.approx(duration, abs=0.01)
    assert by_verb["video.paused"]["position"] == pytest.approx(paused_at, abs=0.05)
    [[start, end]] = by_verb["video.paused"]["segments"]
    assert start == pytest.approx(0, abs=0.05) and end == pytest.approx(paused_at, abs=0.3)
    assert by_verb["video.seeked"]["old_time"] == pytest.approx(paused_at, abs=0.3)
    assert by_verb["video.seeked"]["new_time"] == 4
    assert (by_verb["video.speed_changed"]["old_speed"], by_verb["video.speed_changed"]["new_speed"]) == (
        1,
        1.5,
    )
    played = [e.payload for e in events if e.verb == "video.played"]
    assert played[1]["position"] == pytest.approx(4, abs=0.05) and played[1]["speed"] == 1.5
    completed = by_verb["video.completed"]["segments"]
    assert len(completed) == 2
    assert completed[0] == [pytest.approx(0, abs=0.05), pytest.approx(paused_at, abs=0.3)]
    assert completed[1] == [pytest.approx(4, abs=0.05), pytest.approx(duration, abs=0.05)]
    # True coverage: about 1.5 + 2 of 6 seconds were watched, not "completed = 100 %".
    coverage = sum(e - s for s, e in completed) / duration
    assert 0.5 < coverage < 0.7
