"""Who may do what, in one place.

Roles:

- **student**: every signed-in user; sees their own data only.
- **instructor**: per course (``CourseRole``); sees the dashboards of the courses they
  teach, with their learners' names (they teach them).
- **analyst**: holds the ``accounts.analyst`` permission (the "Analysts" group);
  dashboards of every course, exports, the model registry and experiments. Learners
  appear pseudonymized unless the analyst is also granted
  ``accounts.view_learner_identity``.
- **staff**: site administrators (``is_staff``); everything, identities included.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.utils.crypto import salted_hmac

ANALYST = "accounts.analyst"
VIEW_IDENTITY = "accounts.view_learner_identity"
ANALYSTS_GROUP = "Analysts"
PSEUDONYM_SALT = "cairn-export-pseudonym"


def is_analyst(user) -> bool:
    """Analysts and staff: the analyst workspace (all dashboards, exports, models)."""
    return bool(user.is_authenticated and user.is_active and (user.is_staff or user.has_perm(ANALYST)))


def analyst_required(view: Callable) -> Callable:
    """A view for analysts and staff: anonymous visitors are sent to log in, anyone
    else gets 403 (not the admin's log-in page, as ``staff_member_required`` would)."""

    @wraps(view)
    @login_required
    def wrapped(request, *args, **kwargs):
        if not is_analyst(request.user):
            raise PermissionDenied("This page is for analysts.")
        return view(request, *args, **kwargs)

    return wrapped


def teaches(user, course_id: int) -> bool:
    """Is ``user`` an instructor of the course (a ``CourseRole`` row; staff are not)?
    Remembered on the user object, like Django's permission cache: one query per request."""
    from lms.courses.models import CourseRole

    if not user.is_authenticated:
        return False
    known = user.__dict__.setdefault("_cairn_teaches", {})
    if course_id not in known:
        roles = CourseRole.objects.filter(user=user, course_id=course_id, role=CourseRole.Role.INSTRUCTOR)
        known[course_id] = roles.exists()
    return known[course_id]


def can_identify(user, *, course_id: int | None = None) -> bool:
    """May ``user`` see learners' names and e-mails? Staff and analysts granted
    ``view_learner_identity`` everywhere; with ``course_id``, also the instructors of that
    course (they teach those learners; an analyst who teaches it included)."""
    if not (user.is_authenticated and user.is_active):
        return False
    if user.is_staff or (course_id is not None and teaches(user, course_id)):
        return True
    return user.has_perm(VIEW_IDENTITY)


def analytics_learner_pseudonym(learner_id: int) -> str:
    """A learner's pseudonym for analysts: 32 hex digits of HMAC-SHA256 keyed by
    ``SECRET_KEY`` (salt ``cairn-export-pseudonym``). The same in every pseudonymized
    export, in ``analytics.api`` and on analysts' pages, so they can be joined; without
    the key it cannot be reversed. (Deliberately not the xAPI actor name of the site's
    own exports, which the site maps back to the learner on import.)"""
    return salted_hmac(PSEUDONYM_SALT, str(int(learner_id)), algorithm="sha256").hexdigest()[:32]


def pseudonym_label(learner_id: int) -> str:
    """A learner's short pseudonym on analysts' pages: the first ten hex digits of
    ``analytics_learner_pseudonym`` (so it matches the exports' column by prefix)."""
    return f"learner-{analytics_learner_pseudonym(learner_id)[:10]}"


def learner_label(user, *, viewer, course_id: int | None = None) -> str:
    """How a learner is named to ``viewer`` on dashboards: the name when
    ``can_identify(viewer, course_id=...)`` (staff, analysts granted identity, the
    course's instructors), else a pseudonym. Pages listing many learners decide
    ``can_identify`` once and use ``pseudonym_label``."""
    if can_identify(viewer, course_id=course_id):
        return str(user)
    return pseudonym_label(user.pk)
