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

from django.utils.crypto import salted_hmac

ANALYST = "accounts.analyst"
VIEW_IDENTITY = "accounts.view_learner_identity"
ANALYSTS_GROUP = "Analysts"
PSEUDONYM_SALT = "cairn-export-pseudonym"


def is_analyst(user) -> bool:
    """Analysts and staff: the analyst workspace (all dashboards, exports, models)."""
    return bool(user.is_authenticated and user.is_active and (user.is_staff or user.has_perm(ANALYST)))


def can_identify(user) -> bool:
    """May ``user`` see learners' names and e-mails on analyst pages? Staff and analysts
    granted ``view_learner_identity``. (Instructors see their own learners; that is
    decided per course, not here.)"""
    return bool(user.is_authenticated and user.is_active and (user.is_staff or user.has_perm(VIEW_IDENTITY)))


def learner_pseudonym(learner_id: int) -> str:
    """A learner's pseudonym for analysts: 32 hex digits of HMAC-SHA256 keyed by
    ``SECRET_KEY`` (salt ``cairn-export-pseudonym``). The same in every pseudonymized
    export, in ``analytics.api`` and on analysts' pages, so they can be joined; without
    the key it cannot be reversed. (Deliberately not the xAPI actor name of the site's
    own exports, which the site maps back to the learner on import.)"""
    return salted_hmac(PSEUDONYM_SALT, str(int(learner_id)), algorithm="sha256").hexdigest()[:32]


def learner_label(user, *, viewer) -> str:
    """How a learner is named to ``viewer`` on dashboards: the name for staff, analysts
    granted identity and instructors (pages check the course), else a pseudonym."""
    if can_identify(viewer) or not is_analyst(viewer):
        return str(user)
    return f"learner-{learner_pseudonym(user.pk)[:10]}"
