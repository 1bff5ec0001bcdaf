from django.apps import AppConfig

from lms.tracking.listeners import register_erased_check


class PrivacyConfig(AppConfig):
    """Learner data rights: download my data, erase me (docs/security.md)."""

    name = "lms.privacy"
    label = "privacy"

    def ready(self) -> None:
        # Imports drop the records of erased learners (lms.tracking.interop), which must
        # not import privacy: it asks through the registry.
        from .selectors import erased_among  # reads models: not before ready()

        register_erased_check(erased_among)
