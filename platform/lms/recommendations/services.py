"""Write side: showing a next step (an event), following or dismissing it, and the
learner's personalization switch."""

from __future__ import annotations

import logging
import uuid
from dataclasses import dataclass, field

from django.db import transaction
from django.utils import timezone

from lms.progress.selectors import CourseState
from lms.tracking.services import event_record

from . import policy

log = logging.getLogger(__name__)


@dataclass
class NextSteps:
    id: str
    policy: str
    primary: policy.Suggestion | None
    alternatives: list[policy.Suggestion] = field(default_factory=list)
    experiment: object | None = None  # the running PolicyExperiment the learner is in
    arm: str = ""


def next_steps_compute(*, learner, states: list[CourseState]) -> NextSteps:
    """Choose the next step and two alternatives. Personalized learners get the active
    model's policy (the rules when no model loads); the others, the syllabus order."""
    from .experiments import running_experiment

    experiment = running_experiment() if learner.personalized else None
    arm = experiment.arm_for(learner.pk) if experiment else ""
    if not learner.personalized or arm == "syllabus":
        name, chosen = policy.SYLLABUS, policy.syllabus(states)
    elif arm == "rules":
        name, chosen = policy.RULES, policy.rules(states, today=timezone.localdate())
    else:
        from .serving import active_model

        loaded = active_model()
        chosen = []
        if loaded.recommender is not None:
            from .model_policy import model_suggestions

            name = loaded.version.label
            try:
                chosen = model_suggestions(
                    learner=learner, states=states, recommender=loaded.recommender, label=name
                )
            except Exception:  # noqa: BLE001 - a model error must not take the home page down
                log.exception("the model policy failed for learner %s; using the rules", learner.pk)
                chosen = []
        if not chosen:
            name, chosen = policy.RULES, policy.rules(states, today=timezone.localdate())
    return NextSteps(uuid.uuid4().hex, name, chosen[0] if chosen else None, chosen[1:3], experiment, arm)


def next_steps_show(*, learner, states: list[CourseState]) -> NextSteps:
    """Compute the next steps and record what was shown (``recommendation.shown``):
    what learners were offered is what policy evaluation and the recommender's training
    need."""
    steps = next_steps_compute(learner=learner, states=states)
    chosen = [s for s in (steps.primary, *steps.alternatives) if s is not None]
    if chosen:
        event_record(
            learner_id=learner.pk,
            verb="recommendation.shown",
            course=chosen[0].course.slug,
            payload={
                "items": [s.activity.slug for s in chosen],
                "model": steps.policy,
                "reasons": [s.reason for s in chosen],
                "recommendation": steps.id,
                **({"experiment": steps.experiment.name, "arm": steps.arm} if steps.experiment else {}),
            },
        )
        if steps.experiment is not None:
            from .experiments import exposure_record

            exposure_record(experiment=steps.experiment, learner=learner, arm=steps.arm)
    return steps


def recommendation_answered(*, learner, recommendation_id: str, target: str, followed: bool) -> None:
    """The learner followed a suggestion (``target`` is the activity slug) or chose
    for themselves (``target`` is the suggestion they set aside)."""
    if followed:
        from .experiments import exposure_followed

        exposure_followed(learner=learner)
    event_record(
        learner_id=learner.pk,
        verb="recommendation.followed" if followed else "recommendation.dismissed",
        activity=target,
        payload={"target": target, "recommendation": recommendation_id[:64]},
    )


@transaction.atomic
def personalization_set(*, user, enabled: bool) -> None:
    if user.personalized == enabled:
        return
    user.personalized = enabled
    user.save(update_fields=["personalized"])
    event_record(learner_id=user.pk, verb="personalization.changed", payload={"enabled": enabled})
