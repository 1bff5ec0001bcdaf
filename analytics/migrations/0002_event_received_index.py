"""An index on tracking_event.received, which every rollup run filters on.

PostgreSQL: BRIN. ``received`` is stamped at insert, so it grows with the physical order
of each monthly partition and a BRIN index (a few pages for millions of rows) finds the
last minute's events without a B-tree's write cost on the ingestion path. Created on
the partitioned parent, so every partition, present and future, gets it.
SQLite (the embedded setup): a plain B-tree.

The index lives on lms.tracking's table but only the rollups use it; it is created here
so that lms stays unaware of analytics (docs/dashboards.md).
"""

from django.db import migrations

INDEX = "analytics_event_received"


def create(apps, schema_editor):
    if schema_editor.connection.vendor == "postgresql":
        # autosummarize: autovacuum summarizes each block range as it fills, so a run reads
        # only the unsummarized tail besides the ranges that match.
        schema_editor.execute(
            f"CREATE INDEX IF NOT EXISTS {INDEX} ON tracking_event USING brin (received) WITH (autosummarize = on)"
        )
    else:
        schema_editor.execute(f"CREATE INDEX IF NOT EXISTS {INDEX} ON tracking_event (received)")
    apps.get_model("analytics", "Watermark").objects.get_or_create(name="events")


def drop(apps, schema_editor):
    schema_editor.execute(f"DROP INDEX IF EXISTS {INDEX}")


class Migration(migrations.Migration):
    dependencies = [
        ("analytics", "0001_rollups"),
        ("tracking", "0001_initial"),
    ]

    operations = [migrations.RunPython(create, drop)]
