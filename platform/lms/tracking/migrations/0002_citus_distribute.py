"""Distribute ``tracking_event`` by learner when the database is a Citus coordinator.

Acts only where the ``citus`` extension is installed in the database (scripts/citus.sh
creates it with the workers registered); on plain PostgreSQL and SQLite it does nothing,
so one migration history serves the single node and the cluster.

``create_distributed_table`` on the partitioned parent distributes every monthly
partition, and Citus distributes the partitions that ``partitions.py`` creates later
(``CREATE TABLE ... PARTITION OF``) the same way, co-located with each other. Only the
event table is distributed: no query joins it to another table in SQL (the ORM reads
events and the catalog in separate queries, and the rollups fold events in Python), so
users, courses and activities stay ordinary tables on the coordinator, where their
foreign keys and Django's flushes keep working unchanged. docs/events.md.
"""

from django.db import migrations

from lms.tracking import partitions


def _citus(cursor) -> bool:
    cursor.execute("SELECT 1 FROM pg_extension WHERE extname = 'citus'")
    return cursor.fetchone() is not None


def distribute(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if not _citus(cursor):
            return
        cursor.execute(
            "SELECT 1 FROM pg_dist_partition WHERE logicalrelid = %s::regclass", [partitions.TABLE]
        )
        if cursor.fetchone() is None:
            cursor.execute("SELECT create_distributed_table(%s, 'learner_id')", [partitions.TABLE])


def undistribute(apps, schema_editor):
    connection = schema_editor.connection
    if connection.vendor != "postgresql":
        return
    with connection.cursor() as cursor:
        if not _citus(cursor):
            return
        cursor.execute(
            "SELECT 1 FROM pg_dist_partition WHERE logicalrelid = %s::regclass", [partitions.TABLE]
        )
        if cursor.fetchone() is not None:
            cursor.execute("SELECT undistribute_table(%s)", [partitions.TABLE])


class Migration(migrations.Migration):
    dependencies = [("tracking", "0001_initial")]

    operations = [migrations.RunPython(distribute, undistribute, elidable=False)]
