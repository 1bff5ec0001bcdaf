from django.apps import AppConfig


class LecturesConfig(AppConfig):
    name = "lms.lectures"
    label = "lectures"
    verbose_name = "Generated lectures"

    def ready(self) -> None:
        from lms.courses.models import Activity
        from lms.courses.pages import activity_page_register

        from .views import video_page

        activity_page_register(Activity.Kind.VIDEO, video_page)
