from django.apps import AppConfig


class PrivacyConfig(AppConfig):
    """Learner data rights: download my data, erase me (docs/security.md)."""

    name = "lms.privacy"
    label = "privacy"
