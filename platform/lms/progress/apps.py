from django.apps import AppConfig


class ProgressConfig(AppConfig):
    name = "lms.progress"
    label = "progress"
