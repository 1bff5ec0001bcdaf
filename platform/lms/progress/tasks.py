"""Progress from stored events, as a consumer of the event store (settings
``PROGRESS_FROM_EVENTS = "task"``): the ingestion request stores and acknowledges a
batch, and this task folds its video events into progress after the commit.

The default is the other design, one statement inside the ingestion's transaction
(``services.progress_from_rows``, called by the ingestion listener of listeners.py): both
were measured (docs/benchmarks.md, ingest_http), and the statement costs the two cores less than a message, a worker's pickup and a
second read of the events. The task stays for a deployment whose web tier, not its
workers, limits it; its bound is a worker's pickup time (tested at <= 2 s).
"""

from __future__ import annotations

import datetime as dt
import uuid

from django.db import DatabaseError, IntegrityError, transaction
from django.utils.dateparse import parse_datetime

from lms.core.tasks import retried_task
from lms.tracking.listeners import learners_touched
from lms.tracking.models import Event

from .services import VIDEO_SEGMENT_VERBS, progress_from_rows


@retried_task("progress.events_fold", retry_for=(DatabaseError,))
def events_fold(learner_id: int, event_ids: list[str], since: str, until: str) -> int:
    """Fold the learner's stored events ``event_ids`` (stored between the client times
    ``since`` and ``until``, which bound the partitions read) into progress. Takes ids,
    reads the rows again: running twice, or after the events were erased, does no harm
    (segments merge as a union; nothing found, nothing folded)."""
    start, end = parse_datetime(since), parse_datetime(until)
    if start is None or end is None:
        return 0
    rows = (
        Event.objects.filter(
            learner_id=learner_id,
            time__gte=start,
            time__lte=end,
            event_id__in=[uuid.UUID(i) for i in event_ids],
            verb__in=VIDEO_SEGMENT_VERBS,
            activity__isnull=False,
        )
        .order_by("time")
        .values_list("verb", "activity_id", "payload", named=True)
    )
    try:
        folded = progress_from_rows(learner_id=learner_id, rows=rows, signalled=True)
    except IntegrityError:  # the learner was erased since: nothing of theirs to keep
        return 0
    if folded:
        learners_touched([learner_id])  # after the commit of this change: next steps are stale
    return folded


def events_fold_later(*, learner_id: int, events: list[dict], queue: str = "default") -> None:
    """Queue ``events_fold`` at the commit for the stored ``events`` (raw, as validated:
    each has an id and an ISO time; a minute either side covers any normalisation).
    ``queue``: the benchmark measures the sending on a queue of its own."""
    times = [t for t in (parse_datetime(str(e.get("time"))) for e in events) if t is not None]
    if not times:
        return
    ids = [str(e["id"]) for e in events]
    since, until = (min(times) - SLACK).isoformat(), (max(times) + SLACK).isoformat()
    transaction.on_commit(lambda: events_fold.apply_async((learner_id, ids, since, until), queue=queue))


SLACK = dt.timedelta(minutes=1)
