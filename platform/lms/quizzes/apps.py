from django.apps import AppConfig


class QuizzesConfig(AppConfig):
    name = "lms.quizzes"
    label = "quizzes"

    def ready(self) -> None:
        from lms.courses.models import Activity
        from lms.courses.pages import activity_page_register

        from .views import quiz_page

        activity_page_register(Activity.Kind.QUIZ, quiz_page)
