from django.apps import AppConfig


class TrackingConfig(AppConfig):
    """The event store and its one ingestion path (the browser, the server, imports, the
    simulator), which the apps above reach through its registry (``listeners.py``)."""

    name = "lms.tracking"
    label = "tracking"
    verbose_name = "Clickstream"

    def ready(self) -> None:
        # An enrollment's changes are server events (lms.courses.signals).
        from lms.courses.signals import enrollment_changed

        enrollment_changed.connect(_enrollment_event, dispatch_uid="tracking.enrollment_event")


def _enrollment_event(sender, *, learner_id, verb, course, payload, **kwargs) -> None:
    from .services import event_record  # services reads models: not before ready()

    event_record(learner_id=learner_id, verb=verb, course=course, payload=payload)
