# LectureRender on the job base (lms.core.jobs.Job): its ``requested`` (when the job was
# last queued) becomes the base's ``created``, values kept; error, started and finished
# were already the base's fields.

from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("lectures", "0001_initial"),
    ]

    operations = [
        migrations.RenameField(model_name="lecturerender", old_name="requested", new_name="created"),
        migrations.AlterField(
            model_name="lecturerender",
            name="created",
            field=models.DateTimeField(auto_now_add=True),
        ),
    ]
