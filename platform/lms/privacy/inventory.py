"""Every table that points at a user, and what data rights do with it.

``user_references()`` walks ``django.apps.apps.get_models()`` (auto-created M2M tables
included) for foreign keys to the user model; ``RULES`` must hold exactly one rule for
each (a test fails on a new table without one, and on a rule for a table that is gone).
A rule says whether the rows go into the learner's download and what erasure does:

- ``DELETE``: the rows are the learner's; delete them.
- ``SET_NULL``: the row records an act of staff (who asked for an export, a retrain,
  who acted on a risk flag); keep it and forget who.
- ``DISCUSSION``: threads others replied to are kept as "[deleted]" and handed to the
  shared placeholder author; the rest of the learner's threads and replies go.
- ``EVENTS``: the event store, deleted partition by partition with SQL.
- ``PRIVACY``: the requests' own table (``learner`` set to null after erasure).

Copies no foreign key finds are listed in ``TEXT_COPIES``: Django's admin history
(``django_admin_log``) names its objects in text (``object_repr``: "Zelda Quartz in
Course (verified)", a thread's title) and points at them by ``content_type`` and
``object_id``. ``erasure.admin_log_erase`` reaches them; the labels are the audit log's.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.apps import apps
from django.contrib.auth import get_user_model
from django.db import models

DELETE, SET_NULL, DISCUSSION, EVENTS, PRIVACY = "delete", "set_null", "discussion", "events", "privacy"


@dataclass(frozen=True)
class Rule:
    export: bool  # in the learner's download
    erase: str  # DELETE, SET_NULL, DISCUSSION, EVENTS or PRIVACY
    reason: str = ""  # required when not exported: why the rows are not the learner's data


# "app_label.ModelName.field" -> rule
RULES: dict[str, Rule] = {
    "accounts.User_groups.user": Rule(False, DELETE, "group memberships: staff roles, not learning data"),
    "accounts.User_user_permissions.user": Rule(False, DELETE, "permissions granted by staff"),
    "admin.LogEntry.user": Rule(False, DELETE, "admin actions by a staff member, not learner data"),
    "courses.Enrollment.user": Rule(True, DELETE),
    "courses.CourseRole.user": Rule(True, DELETE),
    "tracking.Event.learner": Rule(True, EVENTS),  # exported as events.parquet
    "labs.Submission.learner": Rule(True, DELETE),
    "quizzes.QuizAttempt.learner": Rule(True, DELETE),
    "discussions.Thread.author": Rule(True, DISCUSSION),
    "discussions.Post.author": Rule(True, DISCUSSION),
    "progress.ActivityProgress.learner": Rule(True, DELETE),
    "progress.Certificate.learner": Rule(True, DELETE),
    "recommendations.ModelVersion.requested_by": Rule(
        False, SET_NULL, "a staff member who asked for a retrain"
    ),
    "recommendations.Exposure.learner": Rule(True, DELETE),
    # Dashboard state (analytics): derived from the events, which the download carries;
    # erasure deletes it while the rollups keep their counts without any learner key.
    "analytics.LearnerCourse.learner": Rule(False, DELETE, "dashboard state derived from the events"),
    "analytics.LearnerDay.learner": Rule(False, DELETE, "dashboard state derived from the events"),
    "analytics.LearnerWeek.learner": Rule(False, DELETE, "dashboard state derived from the events"),
    "analytics.LearnerPassed.learner": Rule(False, DELETE, "dashboard state derived from the events"),
    "analytics.LearnerVideo.learner": Rule(False, DELETE, "dashboard state derived from the events"),
    "analytics.LearnerLab.learner": Rule(False, DELETE, "dashboard state derived from the events"),
    "analytics.LearnerRecommendation.learner": Rule(True, DELETE),  # shown / followed / dismissed
    "analytics.ExportJob.requested_by": Rule(
        False, SET_NULL, "an analyst's export request (files: see erasure)"
    ),
    "analytics.RiskAction.learner": Rule(True, DELETE),
    "analytics.RiskAction.by": Rule(False, SET_NULL, "an instructor's action on another learner"),
    "privacy.DataRequest.learner": Rule(False, PRIVACY, "the data-rights requests themselves"),
    "inbox.Message.recipient": Rule(True, DELETE),  # messages sent to the learner
    "inbox.Message.sender": Rule(False, SET_NULL, "a message the user wrote to someone else, kept for them"),
    "analytics.LearnerRisk.learner": Rule(True, DELETE),  # the learner's predicted risk and its signals
}


# Copies of the learner outside any foreign key to them: label (as counted in the
# erasure's audit log) -> what erasure does.
ADMIN_LOG_ABOUT = "admin.LogEntry (about the learner or their rows)"
ADMIN_LOG_NAMING = "admin.LogEntry (named the learner: redacted)"
TEXT_COPIES: dict[str, str] = {
    ADMIN_LOG_ABOUT: "deleted: the object is the learner or a row erasure deletes or anonymises "
    "(an enrollment, a thread, a post, a submission...; found by content type and object id)",
    ADMIN_LOG_NAMING: "object_repr and change_message of any other row: the learner's full name, "
    "display name, username and e-mail replaced by [deleted]; the staff act itself is kept",
}


@dataclass(frozen=True)
class Reference:
    model: type[models.Model]
    field: str  # the foreign key's name
    rule: Rule | None

    @property
    def key(self) -> str:
        return f"{self.model._meta.label}.{self.field}"

    @property
    def label(self) -> str:
        return self.model._meta.label


def user_references() -> list[Reference]:
    """Every concrete foreign key (or one-to-one) to the user model, with its rule."""
    user = get_user_model()
    found = []
    for model in apps.get_models(include_auto_created=True):
        for field in model._meta.get_fields():
            if field.is_relation and field.concrete and field.related_model is user:
                key = f"{model._meta.label}.{field.name}"
                found.append(Reference(model, field.name, RULES.get(key)))
    return found
