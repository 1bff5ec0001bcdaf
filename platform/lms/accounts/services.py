"""Write-side operations on accounts."""

from django.contrib.auth.forms import PasswordResetForm
from django.contrib.auth.models import Group, Permission
from django.db import transaction

from . import roles
from .models import User

DEMO_ACCOUNTS = {
    # role: (username, password); the analyst is a member of "Analysts", not staff
    "student": ("demo-student", "cairn-demo-student"),
    "instructor": ("demo-instructor", "cairn-demo-instructor"),
    "analyst": ("demo-analyst", "cairn-demo-analyst"),
    # a learner who finished the first course: the certificate pages can be seen in the demo
    "graduate": ("demo-graduate", "cairn-demo-graduate"),
}


def _permission(name: str) -> Permission:
    app_label, codename = name.split(".")
    return Permission.objects.get(content_type__app_label=app_label, codename=codename)


@transaction.atomic
def analyst_grant(*, user: User, identity: bool = False) -> None:
    """Make ``user`` an analyst (a member of "Analysts"); ``identity`` also grants them
    ``view_learner_identity`` (per user, never to the group)."""
    # The data migration creates the group; a flushed test database lacks it.
    group, created = Group.objects.get_or_create(name=roles.ANALYSTS_GROUP)
    if created:
        group.permissions.add(_permission(roles.ANALYST))
    user.groups.add(group)
    if identity:
        user.user_permissions.add(_permission(roles.VIEW_IDENTITY))
    for cached in ("_perm_cache", "_user_perm_cache", "_group_perm_cache"):  # has_perm sees it at once
        user.__dict__.pop(cached, None)


@transaction.atomic
def demo_users_ensure() -> dict[str, tuple[str, str]]:
    """Create (or reset the password of) the demo accounts; return role -> login."""
    logins = {}
    for role, (username, password) in DEMO_ACCOUNTS.items():
        user, _ = User.objects.get_or_create(username=username, defaults={"display_name": f"Demo {role}"})
        user.is_staff = False
        user.set_password(password)
        user.save()
        if role == "analyst":
            analyst_grant(user=user)
        logins[role] = (username, password)
    return logins


def password_reset_send(*, email: str, domain: str, use_https: bool) -> int:
    """Mail a reset link to each active account with a usable password at ``email``
    (Django's ``PasswordResetForm``: same tokens, templates and rules as its view); how
    many were sent. Runs in ``password_reset_send_task``, never in the request: the page
    answers the same, in the same time, whether or not the address is known."""
    form = PasswordResetForm({"email": email})
    if not form.is_valid():
        return 0
    sent = len(list(form.get_users(form.cleaned_data["email"])))
    if sent:
        form.save(domain_override=domain, use_https=use_https)
    return sent
