from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "lms.labs"
    label = "labs"
    verbose_name = "Labs and grading"

    def ready(self) -> None:
        from celery.signals import worker_ready

        from .grading import selftest_on_worker_ready

        worker_ready.connect(selftest_on_worker_ready, weak=False)

        from lms.courses.models import Activity
        from lms.courses.pages import activity_page_register

        from .views import lab_page

        activity_page_register(Activity.Kind.LAB, lab_page)
