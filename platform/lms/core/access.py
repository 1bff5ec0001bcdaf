"""Who may open each view, declared next to the view.

    @access(STUDENT, OWNER, INSTRUCTOR, ANALYST, STAFF)
    def submission_detail(request, submission_id): ...

The declaration does not enforce anything: the view does (``login_required``,
``PermissionDenied``, querysets limited to what the user may see). It states the
*expected* outcome, and the authorization-matrix test (``tests/platform/test_access.py``)
requests every URL in the URL configuration as every role and checks the response
against it, so a new endpoint without a declaration, or a view that lets the wrong
role in, fails CI.

The roles, as seen from the test's fixture world (one course with its instructor, a
learner who owns the objects in the URL, and others):

- ``ANONYMOUS``: not signed in.
- ``OWNER``: the learner the URL's objects belong to (their submission, their thread).
- ``STUDENT``: another signed-in learner enrolled in the same course, who owns none
  of the URL's objects ("another student").
- ``OTHER_INSTRUCTOR``: instructor of another course only.
- ``INSTRUCTOR``: instructor of the URL's course.
- ``ANALYST``: holds ``accounts.analyst`` (pseudonymized learners).
- ``STAFF``: ``is_staff`` site administrators.

A role listed is expected to get a 2xx or 3xx (other than a redirect to the log-in
page); a role not listed, a 401/403/404 or a redirect to log in.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

ANONYMOUS = "anonymous"
OWNER = "owner"
STUDENT = "student"
OTHER_INSTRUCTOR = "other_instructor"
INSTRUCTOR = "instructor"
ANALYST = "analyst"
STAFF = "staff"
ROLES = (ANONYMOUS, OWNER, STUDENT, OTHER_INSTRUCTOR, INSTRUCTOR, ANALYST, STAFF)

SIGNED_IN = (OWNER, STUDENT, OTHER_INSTRUCTOR, INSTRUCTOR, ANALYST, STAFF)
EVERYONE = (ANONYMOUS, *SIGNED_IN)
COURSE_STAFF = (INSTRUCTOR, ANALYST, STAFF)  # the course's dashboards
ANALYSTS = (ANALYST, STAFF)  # the analyst workspace

V = TypeVar("V", bound=Callable)


def access(*roles: str | tuple[str, ...]) -> Callable[[V], V]:
    """Declare the roles expected to be let in (see the module docstring): roles or
    groups of them (``access(EVERYONE)``, ``access(OWNER, *COURSE_STAFF)``). Works on
    function views and on class-based views (the attribute is read from ``view_class``
    too)."""
    roles = tuple(r for group in roles for r in ((group,) if isinstance(group, str) else group))
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {sorted(unknown)}; known: {ROLES}")

    def declare(view: V) -> V:
        view.access = frozenset(roles)
        return view

    return declare


def declared_access(callback) -> frozenset[str] | None:
    """The roles declared for a resolved URL callback, or None if undeclared."""
    for obj in (callback, getattr(callback, "view_class", None), getattr(callback, "cls", None)):
        if obj is not None and getattr(obj, "access", None) is not None:
            return obj.access
    return None
