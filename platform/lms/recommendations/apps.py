from django.apps import AppConfig


class RecommendationsConfig(AppConfig):
    name = "lms.recommendations"
    label = "recommendations"

    def ready(self) -> None:
        # A learner whose history or progress changed gets their next steps computed
        # ahead of their next visit (services.next_steps_schedule).
        from lms.tracking.services import learners_changed

        learners_changed.connect(_schedule, dispatch_uid="recommendations.next_steps_schedule")


def _schedule(sender, *, learner_ids, **kwargs) -> None:
    from .services import next_steps_schedule

    next_steps_schedule(learner_ids=learner_ids)
