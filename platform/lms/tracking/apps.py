from django.apps import AppConfig


class TrackingConfig(AppConfig):
    name = "lms.tracking"
    label = "tracking"
    verbose_name = "Clickstream"
