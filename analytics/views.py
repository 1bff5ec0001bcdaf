"""Instructor dashboards: server-rendered pages drawing charts from JSON embedded in the
page, each chart with its CSV. Pages read rollups only (``analytics.pages``, a module per page).

Who sees what (``lms.accounts.roles``): an instructor the courses they teach, with
their learners' names; analysts and staff every course, analysts with learners
pseudonymized unless granted ``view_learner_identity``; anyone else nothing (403);
anonymous visitors are sent to log in.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import urlencode
from django.views.decorators.http import require_POST

from lms.accounts import roles
from lms.core.access import ANALYST, ANALYSTS, COURSE_STAFF, OTHER_INSTRUCTOR, access
from lms.courses.models import Activity, Course, Enrollment

from . import services
from .exports import export_dir, export_job_create
from .models import ExportJob, RiskAction
from .navigation import SECTIONS, STAFF_PAGES
from .pages.at_risk import learners_at_risk
from .pages.index import dashboard_index, rollups_as_of
from .pages.lab import lab_detail
from .pages.labs import course_labs
from .pages.overview import course_overview
from .pages.quiz import quiz_detail
from .pages.quizzes import course_quizzes
from .pages.recommendations import recommendation_effectiveness
from .pages.video import video_detail
from .pages.videos import course_videos


def _may_see(user, course_id: int) -> bool:
    return roles.teaches(user, course_id) or roles.is_analyst(user)


def _course(request: HttpRequest, slug: str) -> Course:
    course = Course.objects.filter(slug=slug).first()
    if course is None:
        raise Http404("No such course")
    if not _may_see(request.user, course.pk):
        raise PermissionDenied("You do not teach this course.")
    return course


KINDS = {"videos": Activity.Kind.VIDEO, "quizzes": Activity.Kind.QUIZ, "labs": Activity.Kind.LAB}


def _activity(request: HttpRequest, course: str, section: str, slug: str) -> Activity:
    kind = KINDS.get(section)
    activity = (
        Activity.objects.select_related("course", "week")
        .filter(course__slug=course, slug=slug, kind=kind)
        .first()
        if kind
        else None
    )
    if activity is None:
        raise Http404("No such activity")
    if not _may_see(request.user, activity.course_id):
        raise PermissionDenied("You do not teach this course.")
    return activity


# Course pages: name -> figures. An activity page: section -> figures.
COURSE_PAGES: dict[str, Callable[[Course, HttpRequest], dict[str, Any]]] = {
    "overview": lambda course, request: course_overview(
        course=course, period=request.GET.get("period", "90")
    ),
    "videos": lambda course, request: course_videos(course=course),
    "quizzes": lambda course, request: course_quizzes(course=course),
    "labs": lambda course, request: course_labs(course=course),
    "at-risk": lambda course, request: learners_at_risk(
        course=course,
        identify=roles.can_identify(request.user, course_id=course.pk),
        **{k: request.GET.get(k) for k in ("band", "week", "active", "sort", "page")},
        full_table=request.resolver_match.url_name == "course-csv",
    ),
    "recommendations": lambda course, request: recommendation_effectiveness(course=course),
}
ACTIVITY_PAGES: dict[str, Callable[[Activity], dict[str, Any]]] = {
    "videos": lambda activity: video_detail(video=activity),
    "quizzes": lambda activity: quiz_detail(quiz=activity),
    "labs": lambda activity: lab_detail(lab=activity),
}


def _page(
    request, template: str, course: Course, section: str, figures: dict[str, Any], **context
) -> HttpResponse:
    return render(
        request,
        template,
        {
            "course": course,
            "section": section,
            "sections": [(key, label, reverse(name, args=[course.slug])) for key, label, name in SECTIONS],
            "as_of": rollups_as_of(),
            **figures,
            **context,
        },
    )


@access(*COURSE_STAFF, OTHER_INSTRUCTOR)
@login_required
def index(request: HttpRequest) -> HttpResponse:
    analyst = roles.is_analyst(request.user)
    courses = dashboard_index(user=request.user)
    if not courses and not analyst:
        raise PermissionDenied("Dashboards are for the instructors of a course.")
    staff_pages = [(label, reverse(name)) for _, label, name in STAFF_PAGES] if analyst else []
    return render(
        request,
        "analytics/index.html",
        {
            "courses": courses,
            "as_of": rollups_as_of(),
            "staff_pages": staff_pages,
            "analyst": analyst,
        },
    )


def _course_view(page: str, template: str):
    @access(*COURSE_STAFF)
    @login_required
    def view(request: HttpRequest, course: str) -> HttpResponse:
        course = _course(request, course)
        figures = COURSE_PAGES[page](course, request)
        query = f"?period={figures['period']}" if "period" in figures else ""
        if figures.get("query"):  # the at-risk page's filters: its CSV holds the rows they match
            query = "?" + urlencode(figures["query"])
        for chart in [*figures["charts"], *figures.get("tables", [])]:
            chart.csv_url = reverse("analytics:course-csv", args=[course.slug, page, chart.slug]) + query
        return _page(request, template, course, page, figures)

    view.__name__ = page
    return view


def _activity_view(section: str, template: str):
    @access(*COURSE_STAFF)
    @login_required
    def view(request: HttpRequest, course: str, activity: str) -> HttpResponse:
        activity = _activity(request, course, section, activity)
        figures = ACTIVITY_PAGES[section](activity)
        for chart in [*figures["charts"], *figures.get("tables", [])]:
            chart.csv_url = reverse(
                "analytics:activity-csv", args=[activity.course.slug, section, activity.slug, chart.slug]
            )
        return _page(request, template, activity.course, section, figures, activity=activity)

    view.__name__ = section[:-1]
    return view


overview = _course_view("overview", "analytics/overview.html")
videos = _course_view("videos", "analytics/videos.html")
quizzes = _course_view("quizzes", "analytics/quizzes.html")
labs = _course_view("labs", "analytics/labs.html")
at_risk = _course_view("at-risk", "analytics/at_risk.html")
recommendations = _course_view("recommendations", "analytics/recommendations.html")
video = _activity_view("videos", "analytics/video.html")
quiz = _activity_view("quizzes", "analytics/quiz.html")
lab = _activity_view("labs", "analytics/lab.html")


def _csv(chart, filename: str) -> HttpResponse:
    response = HttpResponse(chart.csv(), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{filename}.csv"'
    return response


def _pick(figures: dict[str, Any], slug: str):
    for chart in [*figures["charts"], *figures.get("tables", [])]:
        if chart.slug == slug:
            return chart
    raise Http404("No such chart")


@access(*COURSE_STAFF)
@login_required
def course_csv(request: HttpRequest, course: str, page: str, chart: str) -> HttpResponse:
    if page not in COURSE_PAGES:
        raise Http404("No such page")
    course = _course(request, course)
    return _csv(_pick(COURSE_PAGES[page](course, request), chart), f"{course.slug}-{chart}")


@access(*COURSE_STAFF)
@login_required
def activity_csv(request: HttpRequest, course: str, section: str, activity: str, chart: str) -> HttpResponse:
    activity = _activity(request, course, section, activity)
    return _csv(_pick(ACTIVITY_PAGES[section](activity), chart), f"{activity.slug}-{chart}")


# --- Exports (analysts and staff) ------------------------------------------------------


class ExportForm(forms.Form):
    format = forms.ChoiceField(choices=ExportJob.Format.choices, initial=ExportJob.Format.PARQUET)
    course = forms.ModelChoiceField(
        queryset=Course.objects.order_by("number", "slug"),
        to_field_name="slug",
        required=False,
        empty_label="Every course",
    )
    since = forms.DateField(
        required=False, label="From (UTC, inclusive)", widget=forms.DateInput({"type": "date"})
    )
    until = forms.DateField(
        required=False, label="Until (UTC, exclusive)", widget=forms.DateInput({"type": "date"})
    )
    pseudonymize = forms.BooleanField(required=False, initial=True, label="Pseudonymize learners")

    def clean(self):
        data = super().clean()
        if data.get("since") and data.get("until") and data["until"] <= data["since"]:
            raise forms.ValidationError("The end of the range must be later than its start.")
        return data


def _analyst(request: HttpRequest) -> None:
    if not roles.is_analyst(request.user):
        raise PermissionDenied("Exports are for analysts.")


def _midnight(day: dt.date | None) -> dt.datetime | None:
    return dt.datetime.combine(day, dt.time(), tzinfo=dt.UTC) if day else None


@access(*ANALYSTS)
@login_required
def exports(request: HttpRequest) -> HttpResponse:
    """Pick a format and filters; the export runs in the background (``analytics.export_run``).
    Only those who may identify learners (``roles.can_identify``) may turn pseudonymization off."""
    _analyst(request)
    identify = roles.can_identify(request.user)
    form = ExportForm(request.POST or None)
    if not identify:
        form.fields["pseudonymize"].disabled = True  # always on, whatever is posted
        form.fields["pseudonymize"].help_text = "Always on: you are not granted learners' identities."
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        export_job_create(
            user=request.user,
            format=data["format"],
            course=data["course"].slug if data["course"] else "",
            since=_midnight(data["since"]),
            until=_midnight(data["until"]),
            pseudonymize=data["pseudonymize"] or not identify,
        )
        return redirect("analytics:exports")
    jobs = list(ExportJob.objects.filter(requested_by=request.user)[:50])
    running = any(job.status in (ExportJob.Status.QUEUED, ExportJob.Status.RUNNING) for job in jobs)
    return render(request, "analytics/exports.html", {"form": form, "jobs": jobs, "running": running})


@access(ANALYST)  # the analyst who asked for it (in the matrix's world); other staff: 403
@login_required
def export_download(request: HttpRequest, job: int) -> FileResponse:
    """The file of a finished export, for the analyst who asked for it (or a superuser);
    an identified one only while they may still identify learners."""
    _analyst(request)
    export = ExportJob.objects.filter(pk=job, status=ExportJob.Status.DONE).first()
    if export is None or not export.path:
        raise Http404("No such export")
    if export.requested_by_id != request.user.pk and not request.user.is_superuser:
        raise PermissionDenied("This export was requested by someone else.")
    if not export.pseudonymize and not roles.can_identify(request.user):
        raise PermissionDenied("This export names learners; you are not granted their identities.")
    path = Path(export.path)
    if not path.is_file() or export_dir().resolve() not in path.resolve().parents:
        raise Http404("The file of this export is gone")
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name)


@access(*COURSE_STAFF)
@login_required
@require_POST
def at_risk_action(request: HttpRequest, course: str) -> HttpResponse:
    """Message a learner, mark their flag handled, or say it was not useful. Messaging
    needs the learner's identity (their instructors, staff, analysts granted it)."""
    course = _course(request, course)
    identify = roles.can_identify(request.user, course_id=course.pk)
    enrollment = _at_risk_enrollment(course, str(request.POST.get("learner", "")), identify=identify)
    if enrollment is None:
        raise Http404("No such learner in this course")
    learner, action = enrollment.user, request.POST.get("action")
    name = (learner.get_full_name() or learner.username) if identify else roles.pseudonym_label(learner.pk)
    if action == "message":
        if not identify:
            raise PermissionDenied("Messaging a learner needs their identity; you see pseudonyms.")
        subject = request.POST.get("subject", "").strip() or f"{course.title}: checking in"
        try:
            message = services.risk_message_send(
                course=course,
                learner=learner,
                by=request.user,
                subject=subject,
                body=request.POST.get("body", ""),
            )
        except ValidationError as error:
            messages.error(request, f"Nothing sent to {name}: {' '.join(error.messages)}")
        else:
            where = " and e-mailed to them" if message.recipient.email else ""
            messages.success(request, f"Message sent to {name}: it shows in their inbox{where}.")
    elif action in (RiskAction.Action.HANDLED, RiskAction.Action.NOT_USEFUL):
        services.risk_action_record(
            course=course, learner=learner, action=action, by=request.user, note=request.POST.get("note", "")
        )
        done = "marked as handled" if action == RiskAction.Action.HANDLED else "marked as not useful"
        messages.success(request, f"{name}: {done}.")
    else:
        return HttpResponse("Unknown action", status=400)
    key = str(learner.pk) if identify else roles.analytics_learner_pseudonym(learner.pk)
    return redirect(reverse("analytics:at-risk", args=[course.slug]) + f"#learner-{key}")


def _at_risk_enrollment(course: Course, key: str, *, identify: bool) -> Enrollment | None:
    """The active enrollment the at-risk page's form names: by pseudonym, or by learner
    id for a viewer who may identify learners (one who may not never sees ids)."""
    active = Enrollment.objects.select_related("user").filter(course=course, active=True)
    if identify and key.isdigit():
        return active.filter(user_id=key).first()
    if len(key) != 32:
        return None
    ids = active.values_list("user_id", flat=True).iterator()
    pk = next((i for i in ids if roles.analytics_learner_pseudonym(i) == key), None)
    return active.filter(user_id=pk).first() if pk is not None else None
