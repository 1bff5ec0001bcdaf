from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "lms.recommendations"
    label = "recommendations"
