from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "lms.search"
    label = "search"
    verbose_name = "Search"
