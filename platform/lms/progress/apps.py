from django.apps import AppConfig

from lms.courses.pages import activity_opener_register
from lms.tracking.listeners import register_ingestion_listener


class ProgressConfig(AppConfig):
    name = "lms.progress"
    label = "progress"

    def ready(self) -> None:
        # Imported here, not above: these modules read models, loaded only once the app
        # registry is ready.
        from .listeners import progress_ingested
        from .services import VIDEO_SEGMENT_VERBS
        from .views import activity_opened

        # Opening an activity page starts it (a reading is done); a browser batch's played
        # video stretches become progress in the batch's transaction (listeners.py).
        activity_opener_register("progress", activity_opened)
        register_ingestion_listener(progress_ingested, verbs=VIDEO_SEGMENT_VERBS)
