from django.apps import AppConfig


class CoursesConfig(AppConfig):
    name = "lms.courses"
    label = "courses"

    def ready(self) -> None:
        from .models import Activity
        from .pages import activity_page_register
        from .views import reading_page

        activity_page_register(Activity.Kind.READING, reading_page)
