from django.contrib.auth.models import AbstractUser
from django.db import models


class User(AbstractUser):
    """A Cairn user. Roles: students are everyone; instructors are per course
    (see lms.courses); analysts hold ``accounts.analyst`` (the "Analysts" group); staff
    (``is_staff``) administer the site. See ``lms.accounts.roles``.

    A custom user model from day one, so profile fields can be added without a
    painful swap later.
    """

    display_name = models.CharField(max_length=150, blank=True)
    # Learners known only from imported logs (edX, xAPI, tables) are external records:
    # they cannot log in, and `external_source` names where they came from.
    external_source = models.CharField(max_length=100, blank=True)
    # Off: no recommendations; the home page follows the syllabus order instead.
    personalized = models.BooleanField(default=True)

    class Meta(AbstractUser.Meta):
        permissions = [
            ("analyst", "Analyst: every course's dashboards, exports, models (learners pseudonymized)"),
            ("view_learner_identity", "See learners' names and e-mails on analyst pages and exports"),
        ]

    def __str__(self) -> str:
        return self.display_name or self.username
