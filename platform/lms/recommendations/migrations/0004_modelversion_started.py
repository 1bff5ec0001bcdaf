# A model version is a job (lms.core.jobs) and records when a worker took it. Versions
# trained before keep no start time (null): the sweeper measures a retrain from its
# creation, so nothing reads it for them.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("recommendations", "0003_policyexperiment_title"),
    ]

    operations = [
        migrations.AddField(
            model_name="modelversion",
            name="started",
            field=models.DateTimeField(blank=True, null=True),
        ),
    ]
