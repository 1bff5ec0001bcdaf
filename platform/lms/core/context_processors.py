from django.core.cache import cache


def navigation(request) -> dict:
    """Whether the header links to the dashboards: staff, or instructors of a course.
    The instructor flag is cached for five minutes so pages spend no query on it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    if user.is_staff:
        return {"nav_dashboards": True, "nav_staff": True}
    key = f"nav:teaches:{user.pk}"
    teaches = cache.get(key)
    if teaches is None:
        teaches = user.course_roles.exists()
        cache.set(key, teaches, 300)
    return {"nav_dashboards": teaches}
