"""Erasure reaches Django's admin history (issue 17, finding 10): entries about the
learner's rows go, entries naming the learner elsewhere are redacted, others' entries stay
as they were, and the audit log counts both."""

from __future__ import annotations

import json

import pytest
from django.contrib.admin.models import CHANGE, LogEntry
from django.contrib.contenttypes.models import ContentType

from lms.courses.models import Enrollment
from lms.labs.models import Submission
from lms.privacy.inventory import ADMIN_LOG_ABOUT, ADMIN_LOG_NAMING, TEXT_COPIES
from lms.privacy.models import AuditEntry
from lms.privacy.services import erasure_request_create
from lms.privacy.tasks import erasure_run_task

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db


def logged(staff, obj, *, message: str = "", repr_: str | None = None) -> LogEntry:
    """What the admin writes when staff change ``obj``."""
    return LogEntry.objects.create(
        user=staff, content_type=ContentType.objects.get_for_model(type(obj)), object_id=str(obj.pk),
        object_repr=repr_ if repr_ is not None else str(obj)[:200], action_flag=CHANGE, change_message=message,
    )  # fmt: skip


def test_admin_history_about_or_naming_the_learner_is_erased(world):
    learner, other, staff = world.learner, world.other, world.staff
    enrollment = Enrollment.objects.get(user=learner)
    kept_thread = learner.discussion_threads.get(title="Zelda asks about tensors")  # others replied
    submission = Submission.objects.get(learner=learner)
    course = enrollment.course
    about = [
        logged(staff, enrollment),  # "Zelda Quartz in Course ... (verified)"
        logged(staff, kept_thread),  # the thread's original title
        logged(staff, submission),
        logged(staff, learner.discussion_posts.get()),
    ]
    assert "Zelda Quartz in" in about[0].object_repr
    naming = logged(
        staff, course, message=json.dumps([{"changed": {"fields": ["Title"]}}]) + " asked by ZELDA QUARTZ "
        "(zelda.quartz@example.org, zelda-erase)",
    )  # fmt: skip
    renamed = logged(staff, other, repr_="Otto Keeps (was zelda-erase's tutor)")
    others = logged(staff, Enrollment.objects.get(user=other))
    untouched = {e.pk: (e.object_repr, e.change_message) for e in (others,)}

    request = erasure_request_create(user=learner, password=PASSWORD)
    assert erasure_run_task(str(request.pk)) == f"erasure {request.pk}: done"

    assert not LogEntry.objects.filter(pk__in=[e.pk for e in about]).exists()
    for text in ("zelda", "quartz", "tensors"):
        leaks = LogEntry.objects.filter(object_repr__icontains=text) | LogEntry.objects.filter(
            change_message__icontains=text
        )
        assert not leaks.exists(), [(e.object_repr, e.change_message) for e in leaks]
    naming.refresh_from_db()  # the staff act is kept, without the learner
    assert naming.change_message.endswith("asked by [deleted] ([deleted], [deleted])")
    assert naming.change_message.startswith('[{"changed"') and naming.object_repr == str(course)
    renamed.refresh_from_db()
    assert renamed.object_repr == "Otto Keeps (was [deleted]'s tutor)"
    for entry in LogEntry.objects.filter(pk__in=untouched):
        assert (entry.object_repr, entry.change_message) == untouched[entry.pk]
    counts = AuditEntry.objects.get(request_id=request.pk, action="done").counts
    assert counts[ADMIN_LOG_ABOUT] >= len(about) + 1  # + the world's entry about the user row
    assert counts[ADMIN_LOG_NAMING] == 2
    assert set(TEXT_COPIES) == {ADMIN_LOG_ABOUT, ADMIN_LOG_NAMING}
