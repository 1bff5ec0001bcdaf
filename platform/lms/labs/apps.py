from django.apps import AppConfig


class LabsConfig(AppConfig):
    name = "lms.labs"
    label = "labs"
    verbose_name = "Labs and grading"

    def ready(self) -> None:
        from celery.signals import worker_ready

        from .grading import selftest_on_worker_ready

        worker_ready.connect(selftest_on_worker_ready, weak=False)
