"""Write side of the dashboards: what an instructor does about a learner flagged at risk."""

from __future__ import annotations

import logging

from django.conf import settings
from django.core.mail import send_mail
from django.db import transaction

from . import models as m

log = logging.getLogger(__name__)


@transaction.atomic
def risk_action_record(*, course, learner, action: str, by, note: str = "") -> m.RiskAction:
    """Record (and log) an instructor's answer to a flag: handled, not useful, messaged."""
    record = m.RiskAction.objects.create(
        course=course, learner=learner, action=action, by=by, note=note[:2000]
    )
    log.info("at-risk action %s on learner %s in %s by %s", action, learner.pk, course.slug, by.pk)
    return record


def risk_message_send(*, course, learner, by, subject: str, body: str) -> m.RiskAction:
    """E-mail the learner from the course's instructor and record that it was sent."""
    send_mail(
        subject[:200],
        body,
        getattr(settings, "DEFAULT_FROM_EMAIL", None),
        [learner.email],
        fail_silently=False,
    )
    return risk_action_record(
        course=course,
        learner=learner,
        action=m.RiskAction.Action.MESSAGED,
        by=by,
        note=f"{subject}\n\n{body}",
    )
