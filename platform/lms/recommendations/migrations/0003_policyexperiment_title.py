"""Experiments get a free-text title; the slug (``name``) is derived from it. Existing
experiments keep their slug as their title."""

from django.db import migrations, models


def _titles_from_names(apps, schema_editor):
    PolicyExperiment = apps.get_model("recommendations", "PolicyExperiment")
    PolicyExperiment.objects.filter(title="").update(title=models.F("name"))


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0002_experiments"),
    ]

    operations = [
        migrations.AddField(
            model_name="policyexperiment",
            name="title",
            field=models.CharField(default="", max_length=120),
            preserve_default=False,
        ),
        migrations.RunPython(_titles_from_names, migrations.RunPython.noop),
    ]
