from django.apps import AppConfig


class SearchConfig(AppConfig):
    name = "lms.search"
    label = "search"
    verbose_name = "Search"

    def ready(self) -> None:
        # An imported course is indexed as imported (lms.courses.signals).
        from lms.courses.signals import course_imported

        course_imported.connect(_course_index, dispatch_uid="search.course_index")


def _course_index(sender, *, course, **kwargs) -> None:
    from .services import search_index_course

    search_index_course(course=course)
