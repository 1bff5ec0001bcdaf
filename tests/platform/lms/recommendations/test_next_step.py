"""The home page's next step: chosen from progress with its reason, two alternatives,
"I'll choose myself", the personalization switch, and every answer recorded."""

import pytest

from lms.progress.models import ActivityProgress
from lms.quizzes.services import quiz_attempt_submit
from lms.recommendations import rule_policies
from lms.recommendations.selectors import learner_course_states
from lms.tracking.models import Event
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _shown(learner):
    return (
        Event.objects.filter(learner_id=learner.pk, verb="recommendation.shown").order_by("-received").first()
    )


def test_the_next_step_is_shown_with_its_reason_and_alternatives(client, learner):
    client.force_login(learner)
    page = client.get("/")
    assert page.status_code == 200
    assert 'id="next-step" data-activity="c9-video"' in page.text and "Why:" in page.text
    event = _shown(learner)
    assert event.payload["items"] == ["c9-video", "c9-reading", "c9-quiz"]
    assert event.payload["model"] == rule_policies.RULES and len(event.payload["reasons"]) == 3
    assert "I&#x27;ll choose myself" in page.text or "I'll choose myself" in page.text


def test_the_next_step_changes_with_progress(client, learner, small_course):
    _, items = small_course
    ActivityProgress.objects.create(learner=learner, activity=items["video"], course=items["video"].course,
                                    coverage=0.4, segments=[[0, 40]])  # fmt: skip
    client.force_login(learner)
    page = client.get("/")
    assert 'data-activity="c9-video"' in page.text and "watched 40%" in page.text
    quiz_attempt_submit(learner=learner, activity=items["quiz"], answers={"q1": 1})  # failed
    ActivityProgress.objects.filter(activity=items["video"]).update(
        coverage=1.0, completed="2026-11-01T00:00Z"
    )
    page = client.get("/")
    assert 'data-activity="c9-quiz"' in page.text and "pass mark is 50%" in page.text


def test_follow_and_choose_myself_are_recorded(client, learner):
    client.force_login(learner)
    client.get("/")
    rec = _shown(learner).payload["recommendation"]
    # A GET (a prefetched or crawled link, another site's <img>) records nothing.
    assert client.get(f"/next/{rec}/follow/c9-reading").status_code == 405
    assert not Event.objects.filter(learner_id=learner.pk, verb="recommendation.followed").exists()
    response = client.post(f"/next/{rec}/follow/c9-reading")
    assert response.status_code == 302 and response["Location"] == "/courses/c9/c9-reading/"
    followed = Event.objects.get(learner_id=learner.pk, verb="recommendation.followed")
    assert followed.payload == {"target": "c9-reading", "recommendation": rec}
    response = client.post(f"/next/{rec}/choose", {"target": "c9-video"})
    assert response.status_code == 302
    assert (
        Event.objects.get(learner_id=learner.pk, verb="recommendation.dismissed").payload["target"]
        == "c9-video"
    )
    assert client.post(f"/next/{rec}/follow/no-such-activity").status_code == 404
    assert client.get(f"/next/{rec}/choose").status_code == 405


def test_switching_personalization_off_follows_the_syllabus(client, learner, small_course):
    _, items = small_course
    ActivityProgress.objects.create(learner=learner, activity=items["reading"], course=items["reading"].course,
                                    coverage=0.0)  # fmt: skip
    client.force_login(learner)
    response = client.post("/preferences/personalization", {"enabled": "off"}, follow=True)
    assert "Personalization is off" in response.text
    learner.refresh_from_db()
    assert learner.personalized is False
    assert Event.objects.get(learner_id=learner.pk, verb="personalization.changed").payload == {
        "enabled": False
    }
    event = _shown(learner)
    assert event.payload["model"] == rule_policies.SYLLABUS and event.payload["items"][0] == "c9-video"
    assert "Next in the syllabus" in response.text
    client.post("/preferences/personalization", {"enabled": "on"})
    learner.refresh_from_db()
    assert learner.personalized is True


def test_rules_prefer_unlocked_work_and_fall_back_to_the_syllabus(learner, small_course):
    states = learner_course_states(learner=learner)
    chosen = rule_policies.rules(states, today=states[0].weeks[0].deadline)
    slugs = [s.activity.slug for s in chosen]
    assert "c9-video2" not in slugs and "c9-quiz2" not in slugs  # locked: Basics not covered
    assert len(chosen) == 3 and all(s.reason for s in chosen)


def test_a_learner_with_no_courses_sees_the_catalog(client, small_course):
    client.force_login(UserFactory())
    page = client.get("/")
    assert "not enrolled in any course" in page.text and "Course Nine" in page.text
    assert not Event.objects.filter(verb="recommendation.shown").exists()


def test_next_steps_are_cached_until_the_learner_acts(client, learner, small_course):
    """A second request answers from the cache (no progress read) with a new
    recommendation id, and is still recorded as shown; the learner's next event or
    progress change makes the next request compute again."""
    import uuid

    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    from lms.recommendations.generation import learner_generation

    _, items = small_course
    client.force_login(learner)
    first = client.get("/api/v1/me/next-steps").json()
    with CaptureQueriesContext(connection) as queries:
        again = client.get("/api/v1/me/next-steps").json()
    assert [s["activity"] for s in again["steps"]] == [s["activity"] for s in first["steps"]]
    assert again["steps"][0]["activity"] == "c9-video" and again["recommendation"] != first["recommendation"]
    assert not any("progress_activityprogress" in q["sql"] for q in queries.captured_queries)
    assert Event.objects.filter(learner_id=learner.pk, verb="recommendation.shown").count() == 2

    before = learner_generation(learner.pk)
    event = {"id": str(uuid.uuid4()), "time": timezone.now().isoformat(), "verb": "video.completed",
             "course": "c9", "activity": "c9-video", "payload": {"position": 100, "segments": [[0, 100]], "duration": 100}}  # fmt: skip
    stored = client.post("/api/events", {"events": [event]}, content_type="application/json")
    assert stored.json()["accepted"] == [event["id"]]
    assert learner_generation(learner.pk) != before
    after = client.get("/api/v1/me/next-steps").json()
    assert after["steps"][0]["activity"] == "c9-reading"  # the video is done: computed again


def test_an_evicted_generation_never_matches_what_was_cached_before(client, learner):
    """The cache may drop a learner's generation token (eviction); the next token is new,
    so next steps cached under the old one are computed again, not served stale."""
    from django.core.cache import cache

    from lms.recommendations.generation import GENERATION_KEY, learner_generation

    first = learner_generation(learner.pk)
    assert learner_generation(learner.pk) == first  # stable while nothing happens
    cache.delete(GENERATION_KEY.format(learner.pk))
    assert learner_generation(learner.pk) not in (first, "-")
