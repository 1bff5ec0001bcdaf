"""The event store: one append-only row per learner action.

On PostgreSQL ``tracking_event`` is a table PARTITIONED BY RANGE (time), one partition a
month, created ahead by ``partitions.py``. Its primary key (learner_id, time, event_id)
is the de-duplication key: a client-generated UUID re-sent in another batch lands on the
same key and is dropped. Every unique key starts with the learner so the table can be
distributed by learner later (Citus ``create_distributed_table('tracking_event',
'learner_id')`` needs exactly that); see docs/events.md.

On SQLite (the embedded default) the same model is an ordinary table.
"""

from django.conf import settings
from django.db import models


class Event(models.Model):
    class Source(models.TextChoices):
        CLIENT = "client"  # the browser tracker
        SERVER = "server"  # grades, enrollments, recommendations shown
        EDX = "edx"  # imported Open edX tracking logs
        XAPI = "xapi"  # imported xAPI statements
        TABLE = "table"  # imported interaction tables (CSV / Parquet)
        SIMULATION = "simulation"  # simulated cohorts

    pk = models.CompositePrimaryKey("learner", "time", "event_id")
    # No database-level foreign keys: the table is append-only and bulk-loaded, and
    # erasure deletes by learner_id. The ORM still joins through these fields.
    learner = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    time = models.DateTimeField()  # when it happened (client clock, checked)
    event_id = models.UUIDField()  # client-generated idempotency key
    received = models.DateTimeField()  # when the server stored it
    session_id = models.CharField(max_length=64, blank=True)
    course = models.ForeignKey(
        "courses.Course", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    activity = models.ForeignKey(
        "courses.Activity", null=True, on_delete=models.DO_NOTHING, db_constraint=False, related_name="+"
    )
    verb = models.CharField(max_length=40)
    payload = models.JSONField(default=dict)
    source = models.CharField(max_length=10, choices=Source.choices, default=Source.CLIENT)

    class Meta:
        indexes = [
            models.Index(fields=["course", "time"], name="event_course_time"),
            models.Index(fields=["time"], name="event_time"),  # BRIN on PostgreSQL
        ]

    def __str__(self) -> str:
        return f"{self.verb} by {self.learner_id} at {self.time:%Y-%m-%d %H:%M:%S}"
