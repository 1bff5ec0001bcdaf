"""Write side of the dashboards: what an instructor does about a learner flagged at risk."""

from __future__ import annotations

import logging

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


@transaction.atomic
def risk_message_send(*, course, learner, by, subject: str, body: str):
    """Message the learner from the course's instructor: an in-site message on their home
    page, e-mailed too where they have an address (``lms.inbox.services.message_send``),
    and record that it was sent. Raises ValidationError when nothing can be delivered
    (an empty message, a closed account): nothing is recorded then."""
    from lms.inbox.services import message_send

    message = message_send(sender=by, recipient=learner, subject=subject, body=body)
    risk_action_record(
        course=course,
        learner=learner,
        action=m.RiskAction.Action.MESSAGED,
        by=by,
        note=f"{message.subject}\n\n{message.body}",
    )
    return message
