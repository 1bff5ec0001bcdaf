"""Write-side operations on accounts."""

from django.db import transaction

from .models import User

DEMO_ACCOUNTS = {
    # role: (username, password, is_staff)
    "student": ("demo-student", "cairn-demo-student", False),
    "instructor": ("demo-instructor", "cairn-demo-instructor", False),
    "analyst": ("demo-analyst", "cairn-demo-analyst", True),
}


@transaction.atomic
def demo_users_ensure() -> dict[str, tuple[str, str]]:
    """Create (or reset the password of) the demo accounts; return role -> login."""
    logins = {}
    for role, (username, password, is_staff) in DEMO_ACCOUNTS.items():
        user, _ = User.objects.get_or_create(username=username, defaults={"display_name": f"Demo {role}"})
        user.is_staff = is_staff
        user.set_password(password)
        user.save()
        logins[role] = (username, password)
    return logins
