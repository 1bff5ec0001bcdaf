from django.apps import AppConfig


class LecturesConfig(AppConfig):
    name = "lms.lectures"
    label = "lectures"
    verbose_name = "Generated lectures"
