import datetime as dt

import pytest

from lms.tracking import partitions
from lms.tracking.tasks import partitions_ensure_ahead_task

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def known_partitions_restored():
    """These tests forget which partitions exist; what they learn again inside a test
    transaction is never recorded (it is recorded on commit), so later tests would check
    for partitions on every insert. Put back what the process knew."""
    known = set(partitions._known)
    yield
    partitions._known.clear()
    partitions._known.update(known)


def test_partitions_are_created_ahead_and_idempotently():
    partitions.forget_known_partitions()
    created = partitions.partitions_ensure_ahead(today=dt.date(2031, 11, 20))
    assert created == [
        "tracking_event_y2031m11",
        "tracking_event_y2031m12",
        "tracking_event_y2032m01",
        "tracking_event_y2032m02",
    ]
    partitions.forget_known_partitions()
    assert partitions.partitions_ensure_ahead(today=dt.date(2031, 11, 20)) == []
    assert set(created) <= set(partitions.partitions_list())


def test_the_daily_task_covers_this_month():
    partitions.forget_known_partitions()
    partitions_ensure_ahead_task.apply().get()
    today = dt.date.today()
    assert partitions.partition_name(dt.date(today.year, today.month, 1)) in partitions.partitions_list()
