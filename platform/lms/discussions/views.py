"""The discussion of an activity: server-rendered pages and POST handlers that redirect
back (post/redirect/get). A refused post re-renders its page with the error and the text
as typed, so nothing is lost. Analysts not granted learners' identities see every
author as a pseudonym (``selectors.pseudonymous``, ``selectors.authors_label``)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.views.decorators.http import require_POST, require_safe

from lms.core.access import SIGNED_IN, access
from lms.courses.models import Activity
from lms.courses.selectors import activity_for_learner

from .models import Post, Thread
from .selectors import authors_label, participation, pseudonymous, thread_detail, thread_list
from .services import BODY_MAX, TITLE_MAX, DiscussionRefused, post_create, thread_create, thread_mark_answered


def _activity(course: str, activity: str) -> Activity:
    found = activity_for_learner(course_slug=course, activity_slug=activity)
    if found is None:
        raise Http404("No such activity")
    return found


def _thread(course: str, activity: str, thread_id: int) -> tuple[Activity, Thread]:
    """The activity and its thread ``thread_id`` (404 if either is not there)."""
    found = _activity(course, activity)
    opened = thread_detail(activity=found, thread_id=thread_id)
    if opened is None:
        raise Http404("No such thread")
    return found, opened


def _list_page(request, activity: Activity, *, form=None, error: str = "", status: int = 200) -> HttpResponse:
    threads = list(thread_list(activity=activity))
    authors_label(
        items=threads, viewer=request.user, pseudonymous=pseudonymous(user=request.user, activity=activity)
    )
    return render(
        request,
        "discussions/thread_list.html",
        {
            "activity": activity,
            "course": activity.course,
            "threads": threads,
            "may": participation(user=request.user, activity=activity),
            "form": form or {},
            "error": error,
            "title_max": TITLE_MAX,
            "body_max": BODY_MAX,
        },
        status=status,
    )


def _thread_page(
    request, activity: Activity, thread: Thread, *, body: str = "", error: str = "", status: int = 200
) -> HttpResponse:
    may = participation(user=request.user, activity=activity)
    authors_label(
        items=[thread, *thread.posts.all()],
        viewer=request.user,
        pseudonymous=pseudonymous(user=request.user, activity=activity),
    )
    return render(
        request,
        "discussions/thread_detail.html",
        {
            "activity": activity,
            "course": activity.course,
            "thread": thread,
            "may": may,
            "may_mark": may.moderates or request.user.pk == thread.author_id,
            "body": body,
            "error": error,
            "body_max": BODY_MAX,
        },
        status=status,
    )


def _post_chosen(request) -> Post:
    """The reply chosen in the form (any post: marking checks that it is one of the thread's)."""
    raw = request.POST.get("post", "")
    post = Post.objects.filter(pk=int(raw)).first() if raw.isascii() and raw.isdigit() else None
    if post is None:
        raise DiscussionRefused("Choose one of the replies to mark as the answer.")
    return post


@access(SIGNED_IN)
@require_safe
@login_required
def discussion(request: HttpRequest, course: str, activity: str) -> HttpResponse:
    return _list_page(request, _activity(course, activity))


@access(SIGNED_IN)  # posting itself needs an enrollment (400 otherwise)
@require_POST
@login_required
def thread_new(request: HttpRequest, course: str, activity: str) -> HttpResponse:
    found = _activity(course, activity)
    form = {"title": request.POST.get("title", ""), "body": request.POST.get("body", "")}
    try:
        thread = thread_create(author=request.user, activity=found, **form)
    except DiscussionRefused as exc:
        return _list_page(request, found, form=form, error=str(exc), status=400)
    messages.success(request, "Your thread is posted.")
    return redirect("discussion-thread", course=found.course.slug, activity=found.slug, thread=thread.pk)


@access(SIGNED_IN)
@require_safe
@login_required
def thread_page(request: HttpRequest, course: str, activity: str, thread: int) -> HttpResponse:
    return _thread_page(request, *_thread(course, activity, thread))


@access(SIGNED_IN)  # replying itself needs an enrollment (400 otherwise)
@require_POST
@login_required
def reply_new(request: HttpRequest, course: str, activity: str, thread: int) -> HttpResponse:
    found, opened = _thread(course, activity, thread)
    body = request.POST.get("body", "")
    try:
        post = post_create(author=request.user, thread=opened, body=body)
    except DiscussionRefused as exc:
        return _thread_page(request, found, opened, body=body, error=str(exc), status=400)
    messages.success(request, "Your reply is posted.")
    url = redirect("discussion-thread", course=found.course.slug, activity=found.slug, thread=opened.pk)
    url["Location"] += f"#post-{post.pk}"
    return url


@access(SIGNED_IN)  # marking itself: the author or a moderator (refused with a message otherwise)
@require_POST
@login_required
def answer_mark(request: HttpRequest, course: str, activity: str, thread: int) -> HttpResponse:
    found, opened = _thread(course, activity, thread)
    try:
        thread_mark_answered(user=request.user, thread=opened, post=_post_chosen(request))
    except DiscussionRefused as exc:
        messages.error(request, str(exc))
    else:
        messages.success(request, "Marked as the answer.")
    return redirect("discussion-thread", course=found.course.slug, activity=found.slug, thread=opened.pk)
