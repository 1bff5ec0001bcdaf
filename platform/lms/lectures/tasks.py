"""Celery tasks making lectures (queue ``media``; ``media-bulk`` for ``lectures_prepare``,
so a learner waiting on a page is served between the background jobs). Each takes a row
id and works only on a row it can claim: a repeated message does no harm."""

from __future__ import annotations

from celery import shared_task

from .services import lecture_make


@shared_task(name="lectures.make", acks_late=True, time_limit=900, soft_time_limit=870)
def lecture_make_task(render_id: int) -> str:
    """Make the lecture of the row ``render_id`` (queue ``media``: a learner's page waits
    on it); nothing when it is gone, made already or being made elsewhere."""
    render = lecture_make(render_id=render_id)
    return "nothing to do" if render is None else f"lecture {render.pk}: {render.status}"


@shared_task(name="lectures.make_bulk", acks_late=True, time_limit=900, soft_time_limit=870)
def lecture_make_bulk_task(render_id: int) -> str:
    """The same on queue ``media-bulk`` (``lectures_prepare``), behind the pages' jobs."""
    return lecture_make_task(render_id)
