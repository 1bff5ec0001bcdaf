from django.apps import AppConfig

from lms.courses.pages import activity_opener_register
from lms.tracking.listeners import learners_changed, register_touch_listener

from .generation import generation_renew


class RecommendationsConfig(AppConfig):
    name = "lms.recommendations"
    label = "recommendations"

    def ready(self) -> None:
        # A learner whose history or progress changed: their stored next steps are stale
        # at once (a new generation), and computed again ahead of their next visit once
        # the change commits (services.next_steps_schedule).
        register_touch_listener(generation_renew)
        learners_changed.connect(_schedule, dispatch_uid="recommendations.next_steps_schedule")
        # An activity page offers the learner's recommended step beside Next (lms.courses.pages).
        activity_opener_register("recommendations", _recommended_step)


def _schedule(sender, *, learner_ids, **kwargs) -> None:
    from .services import next_steps_schedule  # services reads models: not before ready()

    next_steps_schedule(learner_ids=learner_ids)


def _recommended_step(request, activity) -> None:
    """The stored choice only (``selectors.next_step_cached``): opening a page never runs
    the recommender; neither this activity nor its Next is offered."""
    from .selectors import next_step_cached

    following = request.cairn_nav["next"]
    exclude = (activity.slug, following.slug if following else "")
    request.cairn_nav["recommended"] = next_step_cached(learner=request.user, exclude=exclude)
