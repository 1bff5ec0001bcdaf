from django.apps import AppConfig


class DiscussionsConfig(AppConfig):
    name = "lms.discussions"
    label = "discussions"
