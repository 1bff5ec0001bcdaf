"""The registries through which ``lms.tracking`` (low in the layers of ``lms``: courses
below it, progress and recommendations above; tests/platform/lms/test_layers.py) calls the
apps that build on its events without importing them. An app registers in its
``AppConfig.ready()``, as ``lms.privacy.hooks`` does for erasers:

- ``register_ingestion_listener``: a browser batch that may carry a listener's verbs is
  stored in a transaction, and every listener gets the stored batch inside it
  (``lms.progress`` folds played video stretches into progress);
- ``register_touch_listener`` and the signal ``learners_changed``: a learner's history or
  progress changed (``learners_touched``), at once and once committed
  (``lms.recommendations``: their cached next steps are stale, compute them again);
- ``register_erased_check``: which of an import's learner identifiers belong to learners
  erased on their request, whose records the import drops (``lms.privacy``).

Light on purpose (no models): ``AppConfig`` modules import it before the app registry is
ready.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from django.db import transaction
from django.dispatch import Signal

if TYPE_CHECKING:
    from .store import Row

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class IngestedBatch:
    """A browser batch's newly stored events: ``events`` as the browser sent them (only
    the accepted ones, in order), ``rows`` as they were stored, course and activity
    already resolved to ids (``store.Row``; the same events)."""

    learner_id: int
    events: list[dict[str, Any]]
    rows: list[Row]


IngestionListener = Callable[[IngestedBatch], None]
_ingestion: list[IngestionListener] = []
_ingestion_verbs: set[str] = set()


def register_ingestion_listener(listener: IngestionListener, *, verbs: Iterable[str]) -> None:
    """Call ``listener(batch)`` for every browser batch with an event of one of ``verbs``,
    inside the transaction that stores it, after the store, in registration order: what a
    listener writes commits with the events, and if it raises nothing of the batch is
    stored (the browser resends it). Batches with none of the registered verbs open no
    transaction and call no listener; a listener may get a batch where its verbs were
    duplicates or another listener's, and ignores what it does not need."""
    if listener not in _ingestion:
        _ingestion.append(listener)
    _ingestion_verbs.update(verbs)


def ingestion_wanted(events: Sequence[Any]) -> bool:
    """Whether a raw batch has an event some listener registered the verb of (raw: a
    verb may be anything, even unhashable, until validation refuses it)."""
    return any(
        isinstance(event, dict) and isinstance(verb := event.get("verb"), str) and verb in _ingestion_verbs
        for event in events
    )


def ingested(batch: IngestedBatch) -> None:
    """Hand a stored batch to every ingestion listener (inside the storing transaction)."""
    for listener in _ingestion:
        listener(batch)


# Sent with ``learner_ids`` once a change to those learners' history or progress is
# committed (``learners_touched``): lms.recommendations precomputes their next steps.
learners_changed = Signal()

TouchListener = Callable[[set[int]], None]
_touch: list[TouchListener] = []


def register_touch_listener(listener: TouchListener) -> None:
    """Call ``listener(learner_ids)`` whenever ``learners_touched`` names learners, at
    once (inside the writer's transaction when one is open), before ``learners_changed``
    is sent for them."""
    if listener not in _touch:
        _touch.append(listener)


def learners_touched(learner_ids: Iterable[int]) -> None:
    """The learners' history or progress changed: whatever was cached from it is stale.
    The touch listeners run now (lms.recommendations renews the learners' generation,
    now and at the commit); once the change is committed, ``learners_changed`` is sent,
    so that what was stale can be computed again off the request path; a receiver's
    failure is logged, never raised to the writer."""
    ids = set(learner_ids)
    if not ids:
        return
    for listener in _touch:
        listener(ids)

    def committed() -> None:
        for receiver, outcome in learners_changed.send_robust(sender=None, learner_ids=ids):
            if isinstance(outcome, Exception):
                log.error("learners_changed receiver %r failed", receiver, exc_info=outcome)

    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(committed)
    else:
        committed()


ErasedCheck = Callable[..., set[str]]
_erased_checks: list[ErasedCheck] = []


def register_erased_check(check: ErasedCheck) -> None:
    """``check(identifiers, known=cache) -> set`` names those of an import's learner
    identifiers (usernames, pseudonyms) that belong to an erased learner; ``known`` is a
    dict the import keeps from chunk to chunk for whatever the check computes per
    identifier."""
    if check not in _erased_checks:
        _erased_checks.append(check)


def erased_among(identifiers: set[str], *, known: dict[str, str]) -> set[str]:
    """Those of ``identifiers`` that some registered check names erased. Fails closed: with
    no check registered (``lms.privacy`` not ready) an import refuses to run rather than
    bring an erased learner back."""
    if not _erased_checks:
        raise RuntimeError("no erased-learner check is registered (lms.privacy registers it in ready())")
    erased: set[str] = set()
    for check in _erased_checks:
        erased |= check(identifiers, known=known)
    return erased
