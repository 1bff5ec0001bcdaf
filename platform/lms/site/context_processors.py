from django.core.cache import cache

from lms.accounts.roles import is_analyst


def navigation(request) -> dict:
    """Whether the header links to the dashboards (analysts, staff, or instructors of a
    course) and to the analyst workspace (models, experiments). Both flags are cached for
    five minutes so pages spend no query on them (the views check access themselves)."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if user.is_staff:
        return {"nav_dashboards": True, "nav_staff": True}
    key = f"nav:roles:{user.pk}"
    flags = cache.get(key)
    if flags is None:
        analyst = is_analyst(user)
        flags = {"nav_dashboards": analyst or user.course_roles.exists(), "nav_staff": analyst}
        cache.set(key, flags, 300)
    return flags
