from django.apps import AppConfig


class AnalyticsConfig(AppConfig):
    """Dashboards, exports and the pandas API. It reads platform data through
    selectors; nothing in ``lms`` imports it."""

    name = "analytics"

    def ready(self) -> None:
        from lms.privacy.hooks import eraser_register

        from .privacy import export_files_erase

        # Erasing a learner deletes the export files that name them.
        eraser_register("analytics.exports", export_files_erase)
