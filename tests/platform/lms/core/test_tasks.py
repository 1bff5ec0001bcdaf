import uuid

from django.db import connection

from lms.celery import app
from lms.core.tasks import probe


def test_task_round_trips_through_redis_to_a_real_worker(celery_worker):
    assert app.conf.broker_url.startswith("redis://")
    assert not app.conf.task_always_eager

    token = uuid.uuid4().hex
    result = probe.delay(token)
    reply = result.get(timeout=20)

    assert reply["token"] == token
    assert reply["database"] == "postgresql" == connection.vendor
    assert result.successful()
