"""Cairn's Django project: settings, URLs, the Celery app, and the apps nested inside."""

from .celery import app as celery_app

__all__ = ("celery_app",)
