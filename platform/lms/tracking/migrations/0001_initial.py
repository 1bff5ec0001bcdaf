import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from lms.tracking import partitions


class CreateEventTable(migrations.CreateModel):
    """CreateModel whose table is PARTITIONED BY RANGE (time) on PostgreSQL."""

    def database_forwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_forwards(app_label, schema_editor, from_state, to_state)
        schema_editor.execute(partitions.CREATE_PARENT_SQL)

    def database_backwards(self, app_label, schema_editor, from_state, to_state):
        if schema_editor.connection.vendor != "postgresql":
            return super().database_backwards(app_label, schema_editor, from_state, to_state)
        schema_editor.execute(f"DROP TABLE {partitions.TABLE} CASCADE")


def create_partitions_ahead(apps, schema_editor):
    partitions.forget_known_partitions()
    partitions.partitions_ensure_ahead(using=schema_editor.connection.alias)


class Migration(migrations.Migration):
    initial = True

    dependencies = [
        ("courses", "0001_initial"),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        CreateEventTable(
            name="Event",
            fields=[
                (
                    "pk",
                    models.CompositePrimaryKey(
                        "learner",
                        "time",
                        "event_id",
                        blank=True,
                        editable=False,
                        primary_key=True,
                        serialize=False,
                    ),
                ),
                ("time", models.DateTimeField()),
                ("event_id", models.UUIDField()),
                ("received", models.DateTimeField()),
                ("session_id", models.CharField(blank=True, max_length=64)),
                ("verb", models.CharField(max_length=40)),
                ("payload", models.JSONField(default=dict)),
                (
                    "source",
                    models.CharField(
                        choices=[
                            ("client", "Client"),
                            ("server", "Server"),
                            ("edx", "Edx"),
                            ("xapi", "Xapi"),
                            ("table", "Table"),
                            ("simulation", "Simulation"),
                        ],
                        default="client",
                        max_length=10,
                    ),
                ),
                (
                    "activity",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="courses.activity",
                    ),
                ),
                (
                    "course",
                    models.ForeignKey(
                        db_constraint=False,
                        null=True,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to="courses.course",
                    ),
                ),
                (
                    "learner",
                    models.ForeignKey(
                        db_constraint=False,
                        on_delete=django.db.models.deletion.DO_NOTHING,
                        related_name="+",
                        to=settings.AUTH_USER_MODEL,
                    ),
                ),
            ],
            options={
                "indexes": [
                    models.Index(fields=["course", "time"], name="event_course_time"),
                    models.Index(fields=["time"], name="event_time"),
                ],
            },
        ),
        migrations.RunPython(create_partitions_ahead, migrations.RunPython.noop),
    ]
