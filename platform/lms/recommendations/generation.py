"""A learner's generation: a token that changes whenever their history or progress
changes (``lms.tracking.listeners.learners_touched``, whose touch listener is
``generation_renew``, registered in apps.py). Next steps are stored under it
(``services.NEXT_STEPS_KEY``), so a change makes them stale at once.

Light on purpose (no models): apps.py imports it before the app registry is ready.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterable

from django.core.cache import cache
from django.db import transaction

GENERATION_KEY = "learner-generation:{}"
GENERATION_SECONDS = 30 * 24 * 3600


def generation_renew(learner_ids: Iterable[int]) -> None:
    """Each learner's generation gets a new token now and, inside a transaction, again
    when it commits, so a reader between the two cannot keep the state from before the
    commit under the new token."""
    ids = set(learner_ids)

    def bump() -> None:
        token = uuid.uuid4().hex
        cache.set_many({GENERATION_KEY.format(i): token for i in ids}, GENERATION_SECONDS)

    bump()
    if transaction.get_connection().in_atomic_block:
        transaction.on_commit(bump)


def learner_generation(learner_id: int) -> str:
    """A token that changes whenever ``learners_touched`` names the learner. A learner
    with none yet (or whose token the cache evicted) gets a new one, so a token never
    comes back: what was cached under an old one cannot match again."""
    key = GENERATION_KEY.format(learner_id)
    token = cache.get(key)
    if token is None:
        token = uuid.uuid4().hex
        if not cache.add(key, token, GENERATION_SECONDS):  # another request set one first
            token = cache.get(key) or token
    return token
