"""The "Analysts" group, holding ``accounts.analyst`` (see ``lms.accounts.roles``).

Permissions are normally created after ``migrate`` (post_migrate); this migration
creates the one it needs itself, with the same codename and name, so the group exists
right after migrating. Identity (``view_learner_identity``) is granted per user, never
to the group."""

from django.db import migrations

ANALYST = ("analyst", "Analyst: every course's dashboards, exports, models (learners pseudonymized)")


def analysts_group_create(apps, schema_editor) -> None:
    ContentType = apps.get_model("contenttypes", "ContentType")
    Permission = apps.get_model("auth", "Permission")
    Group = apps.get_model("auth", "Group")
    content_type, _ = ContentType.objects.get_or_create(app_label="accounts", model="user")
    codename, name = ANALYST
    permission, _ = Permission.objects.get_or_create(
        content_type=content_type, codename=codename, defaults={"name": name}
    )
    group, _ = Group.objects.get_or_create(name="Analysts")
    group.permissions.add(permission)


def analysts_group_delete(apps, schema_editor) -> None:
    apps.get_model("auth", "Group").objects.filter(name="Analysts").delete()


class Migration(migrations.Migration):
    dependencies = [
        ("accounts", "0004_user_role_permissions"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(analysts_group_create, analysts_group_delete)]
