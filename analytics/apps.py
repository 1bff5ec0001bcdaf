from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Dashboards, exports and the pandas API. It reads platform data through
    selectors; nothing in ``lms`` imports it."""

    name = "analytics"
