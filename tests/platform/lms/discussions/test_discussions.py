"""The discussion of an activity: threads, replies and a marked answer, each recorded as
an event; only enrolled learners and instructors post; hostile text is escaped; every
page in a bounded number of queries; bad input answered with a message or a 404."""

import pytest

from lms.courses.models import CourseRole, Enrollment
from lms.discussions.models import Post, Thread
from lms.discussions.services import DiscussionRefused, post_create, thread_create, thread_mark_answered
from lms.tracking.models import Event
from lms.tracking.services import catalog_index_forget
from tests.factories import ActivityFactory, UserFactory

pytestmark = pytest.mark.django_db

REFUSED_NOT_ENROLLED = "Only learners enrolled in Neural Networks and its instructors can post here."


@pytest.fixture(autouse=True)
def _fresh_catalog_index():
    # The event store caches slug -> id for a minute; ids are reused across tests.
    catalog_index_forget()


@pytest.fixture
def activity():
    return ActivityFactory(slug="nn-w1-intro", week__course__slug="nn", week__course__title="Neural Networks")


def enrolled(activity, username, *, active=True):
    user = UserFactory(username=username)
    Enrollment.objects.create(user=user, course=activity.course, active=active)
    return user


@pytest.fixture
def learner(activity):
    return enrolled(activity, "asker")


@pytest.fixture
def instructor(activity):
    user = UserFactory(username="teacher")
    CourseRole.objects.create(user=user, course=activity.course)
    return user


@pytest.fixture
def thread(activity, learner):
    return thread_create(author=learner, activity=activity, title="Why ReLU?", body="Why not *sigmoid*?")


@pytest.fixture
def reply(thread, activity):
    return post_create(author=enrolled(activity, "helper"), thread=thread, body="Vanishing gradients.")


def url(activity, *rest):
    return "/".join([f"/courses/{activity.course.slug}/{activity.slug}/discussion", *map(str, rest), ""])


def page(response):
    return response.content.decode()


# --- posting and replying ----------------------------------------------------------------


def test_starting_a_thread_shows_it_and_records_the_event(client, activity, learner):
    client.force_login(learner)
    body = "How do I pick a **learning rate**?"
    response = client.post(url(activity, "new"), {"title": "Learning rates", "body": body})
    thread = Thread.objects.get()
    assert response.status_code == 302 and response["Location"] == url(activity, thread.pk)
    shown = page(client.get(response["Location"]))
    assert "Your thread is posted." in shown
    assert "Learning rates" in shown and "<strong>learning rate</strong>" in shown
    assert (thread.activity, thread.author, thread.body) == (activity, learner, body)
    event = Event.objects.get(verb="discussion.posted")
    assert event.payload == {"thread": str(thread.pk), "length": len(body)}
    assert (event.learner_id, event.activity_id, event.course_id) == (
        learner.pk,
        activity.pk,
        activity.course_id,
    )
    listing = page(client.get(url(activity)))
    assert "Learning rates" in listing and "0 replies" in listing and "by asker" in listing


def test_replying_adds_the_reply_and_records_the_event(client, activity, thread):
    replier = enrolled(activity, "replier")
    client.force_login(replier)
    response = client.post(url(activity, thread.pk, "reply"), {"body": "Try 3e-4 with Adam."})
    post = Post.objects.get()
    assert (
        response.status_code == 302 and response["Location"] == f"{url(activity, thread.pk)}#post-{post.pk}"
    )
    shown = page(client.get(url(activity, thread.pk)))
    assert (
        "Your reply is posted." in shown
        and "Try 3e-4 with Adam." in shown
        and f'id="post-{post.pk}"' in shown
    )
    assert (post.thread, post.author) == (thread, replier)
    event = Event.objects.get(verb="discussion.replied")
    assert event.payload == {"thread": str(thread.pk), "length": len("Try 3e-4 with Adam.")}
    assert (event.learner_id, event.activity_id) == (replier.pk, activity.pk)
    assert "1 reply" in page(client.get(url(activity)))


def test_instructors_and_staff_post_without_enrolling(client, activity, instructor):
    client.force_login(instructor)
    assert client.post(url(activity, "new"), {"title": "Office hours", "body": "Fridays."}).status_code == 302
    staff = UserFactory(username="analyst", is_staff=True)
    thread_create(author=staff, activity=activity, title="Note", body="From staff.")
    assert Thread.objects.count() == 2


def test_text_is_stored_with_plain_line_ends_and_counted_as_typed(activity, learner):
    thread = thread_create(
        author=learner, activity=activity, title="  Spaces  ", body="line one\r\nline two\r\n"
    )
    assert (thread.title, thread.body) == ("Spaces", "line one\nline two")
    assert Event.objects.get(verb="discussion.posted").payload["length"] == len("line one\nline two")
    thread_create(author=learner, activity=activity, title="Long", body="x" * 10_000)  # the limit itself


# --- who may post ------------------------------------------------------------------------


@pytest.mark.parametrize("active", [None, False])
def test_learners_not_enrolled_are_refused_with_the_message_shown(client, activity, thread, active):
    outsider = (
        UserFactory(username="outsider") if active is None else enrolled(activity, "left", active=False)
    )
    client.force_login(outsider)
    response = client.post(url(activity, "new"), {"title": "Hello", "body": "Let me in"})
    assert response.status_code == 400 and REFUSED_NOT_ENROLLED in page(response)
    response = client.post(url(activity, thread.pk, "reply"), {"body": "Me too"})
    assert response.status_code == 400 and REFUSED_NOT_ENROLLED in page(response)
    assert Thread.objects.count() == 1 and not Post.objects.exists()
    assert not Event.objects.filter(learner=outsider).exists()
    # They may read, but are shown no form.
    listing = page(client.get(url(activity)))
    assert "Why ReLU?" in listing and 'name="title"' not in listing and "Only learners enrolled" in listing


def test_pages_need_a_login(client, activity, thread):
    for path in (url(activity), url(activity, thread.pk)):
        response = client.get(path)
        assert response.status_code == 302 and response["Location"].startswith("/accounts/login/")
    assert client.post(url(activity, "new"), {"title": "t", "body": "b"}).status_code == 302
    assert not Thread.objects.exclude(pk=thread.pk).exists()


# --- validation --------------------------------------------------------------------------


@pytest.mark.parametrize(
    "title, body, message",
    [
        ("", "A body", "The title cannot be empty."),
        ("A title", "   \r\n  ", "The post cannot be empty."),
        ("t" * 201, "A body", "The title is 201 characters long; the limit is 200."),
        ("A title", "b" * 10_001, "The post is 10,001 characters long; the limit is 10,000."),
        ("A title", "nul \x00 byte", "The post contains a NUL character."),
    ],
)
def test_bad_threads_are_refused_and_the_text_kept(client, activity, learner, title, body, message):
    client.force_login(learner)
    response = client.post(url(activity, "new"), {"title": title, "body": body})
    assert response.status_code == 400
    shown = page(response)
    assert message in shown and 'role="alert"' in shown
    if title == "A title":
        assert 'value="A title"' in shown  # what was typed is still in the form
    assert not Thread.objects.exists() and not Event.objects.exists()


def test_bad_replies_are_refused_and_missing_fields_are_no_error(client, activity, thread, learner):
    client.force_login(learner)
    response = client.post(url(activity, thread.pk, "reply"), {"body": "r" * 10_001})
    assert response.status_code == 400 and "The reply is 10,001 characters long" in page(response)
    response = client.post(url(activity, thread.pk, "reply"), {})
    assert response.status_code == 400 and "The reply cannot be empty." in page(response)
    assert client.post(url(activity, "new"), {}).status_code == 400
    assert not Post.objects.exists()


# --- marking the answer ------------------------------------------------------------------


@pytest.mark.parametrize("who", ["author", "instructor", "staff"])
def test_the_author_or_an_instructor_marks_the_answer(client, activity, thread, reply, instructor, who):
    marker = {
        "author": thread.author,
        "instructor": instructor,
        "staff": UserFactory(username="staffer", is_staff=True),
    }[who]
    client.force_login(marker)
    before = page(client.get(url(activity, thread.pk)))
    assert "Mark as answer" in before and "Answered" not in before
    response = client.post(url(activity, thread.pk, "answer"), {"post": reply.pk})
    assert response.status_code == 302 and response["Location"] == url(activity, thread.pk)
    thread.refresh_from_db()
    assert thread.answer == reply
    shown = page(client.get(url(activity, thread.pk)))
    assert "Marked as the answer." in shown and '<span class="badge answered">Answered</span>' in shown
    assert f'<article class="post is-answer" id="post-{reply.pk}">' in shown
    assert "Mark as answer" not in shown  # the only reply is the answer now
    event = Event.objects.get(verb="discussion.marked_answered")
    assert event.payload == {"thread": str(thread.pk)} and event.learner_id == marker.pk
    assert "Answered" in page(client.get(url(activity)))
    # Marking it again changes nothing and records nothing.
    client.post(url(activity, thread.pk, "answer"), {"post": reply.pk})
    assert Event.objects.filter(verb="discussion.marked_answered").count() == 1


def test_another_learner_cannot_mark_the_answer(client, activity, thread, reply):
    other = enrolled(activity, "bystander")
    client.force_login(other)
    assert "Mark as answer" not in page(client.get(url(activity, thread.pk)))
    response = client.post(url(activity, thread.pk, "answer"), {"post": reply.pk}, follow=True)
    assert "Only the thread&#x27;s author or an instructor can mark the answer." in page(response)
    thread.refresh_from_db()
    assert thread.answer is None and not Event.objects.filter(verb="discussion.marked_answered").exists()
    with pytest.raises(DiscussionRefused):
        thread_mark_answered(user=other, thread=thread, post=reply)


def test_only_a_reply_of_the_thread_can_be_its_answer(client, activity, thread, reply, learner):
    elsewhere = thread_create(author=learner, activity=activity, title="Other", body="Other question")
    foreign = post_create(author=learner, thread=elsewhere, body="Other reply")
    client.force_login(learner)
    for value in (foreign.pk, "", "abc", "-1", "99999999999999999999999", "٣"):
        response = client.post(url(activity, thread.pk, "answer"), {"post": value}, follow=True)
        assert response.status_code == 200
        shown = page(response)
        assert "That reply belongs to another thread." in shown or "Choose one of the replies" in shown
    thread.refresh_from_db()
    assert thread.answer is None


# --- hostile text ------------------------------------------------------------------------


def test_markup_in_posts_is_escaped(client, activity, learner):
    client.force_login(learner)
    client.post(
        url(activity, "new"),
        {
            "title": "<script>alert('title')</script>",
            "body": "<script>alert('body')</script> [x](javascript:alert(1)) <img src=x onerror=alert(1)>"
            " ![pixel](https://tracker.example/p.gif)",
        },
    )
    thread = Thread.objects.get()
    client.post(url(activity, thread.pk, "reply"), {"body": "<script>alert('reply')</script>"})
    for shown in (page(client.get(url(activity, thread.pk))), page(client.get(url(activity)))):
        assert "<script>alert" not in shown and "<img" not in shown
    shown = page(client.get(url(activity, thread.pk)))
    assert "&lt;script&gt;alert(&#x27;title&#x27;)&lt;/script&gt;" in shown
    assert "&lt;script&gt;alert('body')&lt;/script&gt;" in shown
    assert "&lt;script&gt;alert('reply')&lt;/script&gt;" in shown
    assert 'href="javascript:' not in shown
    assert 'rel="nofollow ugc noopener"' in shown and "tracker.example" in shown  # a link, not an image


# --- queries -----------------------------------------------------------------------------


@pytest.mark.parametrize("viewer", ["learner", "instructor"])
def test_pages_run_a_bounded_number_of_queries(client, activity, learner, instructor, viewer,
                                               django_assert_max_num_queries):  # fmt: skip
    people = [learner] + [enrolled(activity, f"peer{i}") for i in range(4)]
    threads = []
    for i, author in enumerate(people):
        thread = thread_create(author=author, activity=activity, title=f"Question {i}", body=f"Body {i}")
        for replier in people:
            post = post_create(author=replier, thread=thread, body=f"Reply by {replier}")
        thread_mark_answered(user=author, thread=thread, post=post)
        threads.append(thread)
    client.force_login(learner if viewer == "learner" else instructor)
    with django_assert_max_num_queries(10):
        listing = client.get(url(activity))
    assert listing.status_code == 200 and page(listing).count("5 replies") == 5
    with django_assert_max_num_queries(10):
        shown = client.get(url(activity, threads[0].pk))
    assert shown.status_code == 200 and page(shown).count('<article class="post') == 5


# --- 404 and 405 -------------------------------------------------------------------------


def test_missing_or_foreign_threads_are_not_found(client, activity, thread, learner):
    other = ActivityFactory(slug="nn-w1-quiz", week=activity.week)
    client.force_login(learner)
    assert client.get(url(activity, thread.pk + 1000)).status_code == 404
    assert client.get(url(other, thread.pk)).status_code == 404  # exists, but under another activity
    assert client.post(url(other, thread.pk, "reply"), {"body": "hi"}).status_code == 404
    assert client.post(url(other, thread.pk, "answer"), {"post": "1"}).status_code == 404
    assert client.get(url(activity, 99999999999999999999999)).status_code == 404
    assert client.get(f"/courses/other-course/{activity.slug}/discussion/").status_code == 404
    assert client.get("/courses/nn/no-such-activity/discussion/").status_code == 404
    activity.retired = True
    activity.save()
    assert client.get(url(activity)).status_code == 404
    assert not Post.objects.exists()


def test_post_only_urls_refuse_get(client, activity, thread, learner):
    client.force_login(learner)
    for path in (url(activity, "new"), url(activity, thread.pk, "reply"), url(activity, thread.pk, "answer")):
        assert client.get(path).status_code == 405
    assert client.post(url(activity), {"title": "t", "body": "b"}).status_code == 405
