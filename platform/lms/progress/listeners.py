"""What progress makes of the events ``lms.tracking`` stores: ``progress_ingested``, the
ingestion listener registered in apps.py (``lms.tracking.listeners``), so that tracking,
below progress, never imports it (tests/platform/lms/test_layers.py)."""

from __future__ import annotations

from django.conf import settings

from lms.tracking.listeners import IngestedBatch

from .services import progress_from_rows
from .tasks import events_fold_later


def progress_ingested(batch: IngestedBatch) -> None:
    """Registered for ``services.VIDEO_SEGMENT_VERBS`` (the events that carry played
    stretches). Fold a browser batch's played video stretches into progress inside the batch's
    transaction: the events and the progress they make commit together, or neither
    (``PROGRESS_FROM_EVENTS = "statement"``, the default). With ``"task"``, queue
    ``tasks.events_fold`` at the commit instead (docs/events.md, "Progress from events")."""
    if settings.PROGRESS_FROM_EVENTS == "task":
        events_fold_later(learner_id=batch.learner_id, events=batch.events)
    else:  # the ingestion named the learner to learners_touched in this transaction
        progress_from_rows(learner_id=batch.learner_id, rows=batch.rows, signalled=True)
