"""The Celery application. Tasks live in each app's ``tasks.py`` and take ids, never objects."""

import os

from celery import Celery
from lms.site.heartbeat import Heartbeat

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "lms.settings")

app = Celery("lms")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()
app.steps["worker"].add(Heartbeat)  # each worker records that it is alive (/healthz/ready)
