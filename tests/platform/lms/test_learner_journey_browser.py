"""A new learner takes the course site end to end in a real browser: sign up, enroll,
follow the next step to a video and watch part of it, pass a quiz, submit a lab (real
worker, real sandbox), post in the discussion, read their progress and journey map, and
see the next step change. Every learner page is photographed (desktop and phone width)
and checked for labelled controls and no sideways scrolling.

Screenshots go to $CAIRN_SCREENSHOTS when set (``make screenshots`` points it at
docs/screenshots/), else to a temporary folder.
"""

from pathlib import Path

import pytest
from django.conf import settings

from lms.accounts.models import User
from lms.courses.models import Activity, Course
from lms.courses.services import course_import
from lms.progress.models import ActivityProgress, Certificate
from lms.progress.services import progress_scored
from lms.tracking.models import Event

pytestmark = [pytest.mark.browser, pytest.mark.worker, pytest.mark.django_db(transaction=True)]

COURSE = "neural-networks-deep-learning"
PHONE = {"width": 390, "height": 844}

# Every visible form control must have a label (or an aria-label) and every button a name.
UNLABELLED = """() => [...document.querySelectorAll('input, select, textarea, button')]
  .filter(el => el.type !== 'hidden' && el.offsetParent !== null)
  .filter(el => el.tagName === 'BUTTON' ? !el.innerText.trim() && !el.getAttribute('aria-label')
                : !(el.labels && el.labels.length) && !el.getAttribute('aria-label') && !el.closest('.CodeMirror'))
  .map(el => el.outerHTML.slice(0, 120))"""
OVERFLOW = "() => document.documentElement.scrollWidth - window.innerWidth"
# Pause and resolve once the player's own "pause" handler has tracked the event.
PAUSE = """() => new Promise(resolve => { const video = document.getElementById('lecture');
  video.addEventListener('pause', () => setTimeout(resolve, 0), {once: true}); video.pause(); })"""
PLAY_TO_END = """() => new Promise(resolve => { const video = document.getElementById('lecture');
  video.addEventListener('ended', () => setTimeout(resolve, 0), {once: true}); video.play(); })"""
SET_CODE = """(code) => { const cm = document.querySelector('.CodeMirror');
  if (cm && cm.CodeMirror) cm.CodeMirror.setValue(code); else document.getElementById('code').value = code; }"""


def _check_and_shoot(page, shots: Path, name: str, phone_page=None, focus: str | None = None) -> None:
    """Labelled controls, a screenshot (of the whole page, or of the window around
    ``focus`` for very long pages), and the same page at phone width."""
    assert page.evaluate(UNLABELLED) == [], f"unlabelled controls on {name}"
    if focus:
        page.locator(focus).scroll_into_view_if_needed()
    page.screenshot(path=str(shots / f"{name}.png"), full_page=focus is None)
    if phone_page is not None:
        phone_page.goto(page.url)
        assert phone_page.evaluate(OVERFLOW) <= 0, f"{name} scrolls sideways at phone width"
        phone_page.screenshot(path=str(shots / f"{name}-phone.png"))


def _correct_answers(quiz: Activity) -> dict[str, object]:
    answers = {}
    for q in quiz.questions.filter(retired=False):
        if q.type == "numeric":
            answers[q.slug] = ("numeric", str(q.answer))
        else:
            answers[q.slug] = (q.type, [i for i, o in enumerate(q.options) if o["correct"]])
    return answers


def test_a_new_learner_takes_the_course_in_a_browser(browser, live_server, celery_worker, shots):
    course_import(course_dir=Path(settings.CONTENT_ROOT) / COURSE)
    course = Course.objects.get(slug=COURSE)
    # The course's lectures as an author's own 6-second recordings, so this walk plays one
    # to the end (generated lectures: tests/platform/lms/lectures/test_lecture_browser.py).
    Activity.objects.filter(course=course, kind=Activity.Kind.VIDEO).update(media="media/lecture-1.mp4")
    url = live_server.url
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()

    # A visitor signs up.
    page.goto(f"{url}/")
    _check_and_shoot(page, shots, "home-visitor")
    page.get_by_role("link", name="Sign up").click()
    page.get_by_label("Username").fill("ada")
    page.get_by_label("Email").fill("ada@example.org")
    page.get_by_label("Password", exact=True).fill("a long and private passphrase")
    page.get_by_label("Password confirmation").fill("a long and private passphrase")
    _check_and_shoot(page, shots, "signup")
    page.get_by_role("button", name="Sign up").click()
    page.wait_for_url(f"{url}/")
    assert "not enrolled in any course" in page.inner_text("main")
    learner = User.objects.get(username="ada")

    # The phone-width twin of the browser shares the session.
    phone_context = browser.new_context(viewport=PHONE, is_mobile=True)
    phone_context.add_cookies(context.cookies())
    phone = phone_context.new_page()

    # Enroll on the verified track from the course outline.
    page.get_by_role("link", name=course.title).first.click()
    page.get_by_label("Verified", exact=False).check()
    page.get_by_role("button", name="Enroll").click()
    assert "enrolled on the verified track" in page.inner_text("main")
    _check_and_shoot(page, shots, "course-outline", phone)

    # Home: the next step, its reason and alternatives.
    page.goto(f"{url}/")
    first_step = page.locator("#next-step").get_attribute("data-activity")
    assert page.locator("#next-reason").inner_text().startswith("Why:")
    assert page.locator(".alternatives li").count() == 2
    _check_and_shoot(page, shots, "home-next-step", phone)

    # Follow it to a video and watch part of it.
    page.locator("#next-step").click()
    assert Event.objects.filter(learner_id=learner.pk, verb="recommendation.followed").exists()
    page.wait_for_function("() => document.getElementById('lecture').readyState >= 1")
    page.evaluate("document.getElementById('lecture').play()")
    page.wait_for_function("() => document.getElementById('lecture').currentTime >= 2", timeout=15000)
    page.evaluate(PAUSE)
    page.evaluate("CairnTracker.flush()")
    page.wait_for_function("() => CairnTracker.pending() === 0", timeout=15000)
    video = ActivityProgress.objects.get(learner=learner, activity__slug=first_step)
    assert 0.2 < video.coverage < 0.9 and video.completed is None  # part of the clip, measured
    _check_and_shoot(page, shots, "video", phone)
    video_url = page.url

    # Home again: the same video, now to resume, with the measured share in the reason.
    page.goto(f"{url}/")
    assert page.locator("#next-step").get_attribute("data-activity") == first_step
    assert f"watched {round(100 * video.coverage)}%" in page.locator("#next-reason").inner_text()

    # Watch the rest: the video is done.
    page.goto(video_url)
    page.wait_for_function("() => document.getElementById('lecture').readyState >= 1")
    page.evaluate(PLAY_TO_END)
    page.evaluate("CairnTracker.flush()")
    page.wait_for_function("() => CairnTracker.pending() === 0", timeout=15000)
    video.refresh_from_db()
    assert video.coverage >= 0.9 and video.completed is not None

    # The week's quiz: every answer right.
    quiz = Activity.objects.filter(course=course, kind=Activity.Kind.QUIZ).order_by("week__position").first()
    page.goto(f"{url}/courses/{COURSE}/{quiz.slug}/")
    for slug, (kind, answer) in _correct_answers(quiz).items():
        if kind == "numeric":
            page.locator(f"[name='q-{slug}']").fill(answer)
        else:
            for index in answer:
                page.locator(f"[name='q-{slug}'][value='{index}']").check()
    page.get_by_role("button", name="Submit answers").click()
    assert "passed" in page.locator("#quiz-result").inner_text()
    _check_and_shoot(page, shots, "quiz", phone)

    # A lab: submit the reference solution, follow the grading live.
    lab = Activity.objects.get(slug="c1-w2-numpy-basics-lab")
    solution = (Path(settings.CONTENT_ROOT) / lab.lab_path / "lab.py").read_text()
    page.goto(f"{url}/courses/{COURSE}/{lab.slug}/")
    page.evaluate(SET_CODE, solution)
    page.get_by_role("button", name="Submit for a grade").click()
    page.wait_for_function(
        "() => ['graded', 'not_gradable', 'failed'].includes(document.getElementById('status').dataset.status)",
        timeout=120000,
    )
    assert page.locator("#status").inner_text().startswith("Graded · 100%"), page.locator(
        "#status"
    ).inner_text()
    _check_and_shoot(page, shots, "lab", phone, focus="#results")
    assert ActivityProgress.objects.get(learner=learner, activity=lab).passed

    # The discussion of the lab: start a thread.
    page.get_by_role("link", name="Discussion").click()
    page.get_by_label("Title").fill("Broadcasting in the softmax exercise")
    page.get_by_label("Your question or comment").fill("Why does `keepdims=True` matter here?")
    page.get_by_role("button", name="Post thread").click()
    assert "Broadcasting in the softmax exercise" in page.inner_text("main")
    assert Event.objects.filter(learner_id=learner.pk, verb="discussion.posted").exists()
    _check_and_shoot(page, shots, "discussion", phone)

    # Progress and the journey map.
    page.goto(f"{url}/courses/{COURSE}/progress/")
    text = page.inner_text("main")
    assert "2 of" in text and "graded items passed" in text
    _check_and_shoot(page, shots, "progress", phone)
    page.goto(f"{url}/courses/{COURSE}/journey/")
    assert page.locator("svg polyline").count() == 1  # the path taken
    assert page.locator("a.node.done").count() >= 2 and page.locator("a.node.locked").count() >= 1
    _check_and_shoot(page, shots, "journey", phone)

    # Back home, the next step has moved on.
    page.goto(f"{url}/")
    assert page.locator("#next-step").get_attribute("data-activity") != first_step
    _check_and_shoot(page, shots, "home-next-step-after", phone)
    shown = Event.objects.filter(learner_id=learner.pk, verb="recommendation.shown").order_by("time")
    assert shown.count() >= 2 and shown.first().payload != shown.last().payload

    # The certificate, once every graded item is passed (the rest done through the services).
    for activity in Activity.objects.filter(course=course, graded=True, retired=False):
        progress_scored(learner_id=learner.pk, activity=activity, score=1.0, passed=True)
    code = Certificate.objects.get(learner=learner, course=course).code
    anonymous = browser.new_context().new_page()
    anonymous.goto(f"{url}/certificates/{code}/")
    assert course.title in anonymous.inner_text("main") and str(code) in anonymous.inner_text("main")
    _check_and_shoot(anonymous, shots, "certificate")
    anonymous.context.close()
    phone_context.close()
    context.close()
