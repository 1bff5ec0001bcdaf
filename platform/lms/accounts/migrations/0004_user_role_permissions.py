from django.db import migrations


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0003_user_personalized"),
    ]

    operations = [
        migrations.AlterModelOptions(
            name="user",
            options={
                "permissions": [
                    (
                        "analyst",
                        "Analyst: every course's dashboards, exports, models (learners pseudonymized)",
                    ),
                    ("view_learner_identity", "See learners' names and e-mails on analyst pages and exports"),
                ],
                "verbose_name": "user",
                "verbose_name_plural": "users",
            },
        ),
    ]
