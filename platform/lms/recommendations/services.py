"""Write side: showing a next step (an event), following or dismissing it, and the
learner's personalization switch."""

from __future__ import annotations

import logging
import random
import uuid
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from lms.progress.selectors import CourseState
from lms.tracking.services import event_record, learner_generation

from . import policy
from .selectors import learner_course_states

log = logging.getLogger(__name__)


@dataclass
class NextSteps:
    id: str
    policy: str
    primary: policy.Suggestion | None
    alternatives: list[policy.Suggestion] = field(default_factory=list)
    experiment: object | None = None  # the running PolicyExperiment the learner is in
    arm: str = ""
    top_eligible: list[str] = field(default_factory=list)  # slugs exploration may put on top


_exploration = random.Random()  # draws the explored top steps (not for security)
NEXT_STEPS_KEY = "next-steps:v2:{}"  # one entry a learner: (stamp, (policy, suggestions, top-eligible slugs))
CACHE_SECONDS = 600  # also bounds what no event reports, such as a course imported again


def next_steps_compute(*, learner, states: list[CourseState] | None = None) -> NextSteps | None:
    """Choose the next step and two alternatives (None: the learner is in no course).
    Personalized learners get the active model's policy (the rules when no model loads);
    the others, the syllabus order.

    The choice is cached per learner until their history or progress changes
    (``learners_touched``), or the day, the active model or their experiment arm does.
    ``states`` (the learner's courses, if the caller has them) are read only on a miss."""
    from .experiments import running_experiment
    from .serving import active_model

    experiment = running_experiment() if learner.personalized else None
    arm = experiment.arm_for(learner.pk) if experiment else ""
    loaded = active_model()
    version = loaded.version.number if loaded.recommender is not None else "-"
    stamp = (
        f"{learner_generation(learner.pk)}:{learner.personalized}:{version}:"
        f"{experiment.pk if experiment else '-'}:{arm}:{timezone.localdate().isoformat()}"
    )
    key = NEXT_STEPS_KEY.format(learner.pk)
    cached = cache.get(key)
    if cached is not None and cached[0] == stamp:
        name, chosen, eligible = cached[1]
    else:
        if states is None:
            states = learner_course_states(learner=learner)
        name, chosen, eligible = _choose(learner, states, arm, loaded) if states else ("", None, [])
        cache.set(key, (stamp, (name, chosen, eligible)), CACHE_SECONDS)
    if chosen is None:
        return None
    return NextSteps(uuid.uuid4().hex, name, chosen[0] if chosen else None, chosen[1:3], experiment, arm,
                     eligible)  # fmt: skip


CHECKED_FROM = 10  # steps asked of a policy, so that the checker can replace the invalid ones


def _choose(
    learner, states: list[CourseState], arm: str, loaded
) -> tuple[str, list[policy.Suggestion], list[str]]:
    """(policy name, ranked suggestions, the slugs among them that may be the top step)
    for one learner: whichever policy serves them (syllabus, rules, the model, an
    experiment's arm), its longer ranked list goes through the pedagogy checker
    (``recommender.pedagogy``): the first three valid steps, the top one in the learner's
    current course and week, each violation logged. Exploration draws its top step only
    among the third list, so it never breaks the invariants either."""
    from recommender.pedagogy import check
    from recommender.policy import Step

    from .model_policy import checked_suggestions, learner_state

    state = learner_state(states)
    name, chosen = _policy_choice(learner, states, arm, loaded, state)
    chosen = checked_suggestions(state=state, states=states, suggestions=chosen, policy=name)
    eligible = [s.activity.slug for s in chosen
                if not check(state, [Step(s.activity.slug, s.reason, 0.0, s.kind)])]  # fmt: skip
    return name, chosen, eligible


def _policy_choice(learner, states, arm: str, loaded, state) -> tuple[str, list[policy.Suggestion]]:
    today = timezone.localdate()
    current, n = state.current_course, CHECKED_FROM
    if not learner.personalized or arm == "syllabus":
        return policy.SYLLABUS, policy.syllabus(states, limit=n, current=current)
    if arm == "rules" or loaded.recommender is None:
        return policy.RULES, policy.rules(states, today=today, limit=n, current=current)
    from .model_policy import model_suggestions

    name = loaded.version.label
    try:
        chosen = model_suggestions(learner=learner, states=states, recommender=loaded.recommender, label=name,
                                   limit=n, state=state)  # fmt: skip
    except Exception:  # noqa: BLE001 - a model error must not take the home page down
        log.exception("the model policy failed for learner %s; using the rules", learner.pk)
        chosen = []
    if chosen:
        return name, chosen
    return policy.RULES, policy.rules(states, today=today, limit=n, current=current)


def next_steps_show(*, learner, states: list[CourseState] | None = None) -> NextSteps | None:
    """Compute the next steps and record what was shown (``recommendation.shown``):
    what learners were offered is what policy evaluation and the recommender's training
    need.

    Exploration (``settings.RECOMMENDATION_EXPLORATION``, default 10%): for a
    personalized learner, that share of showings puts a step drawn uniformly from the
    policy's own checked steps on top (``recommender.ope.explore``), so no step outside
    that list is ever shown. Each item's ``propensities`` entry is the exact probability
    that it was put in its slot: what off-policy evaluation weighs by. A learner who
    chose the syllabus order gets it as it is (propensities 1)."""
    from recommender.ope import explore

    steps = next_steps_compute(learner=learner, states=states)
    if steps is None:
        return None
    ranked = {s.activity.slug: s for s in (steps.primary, *steps.alternatives) if s is not None}
    share = float(settings.RECOMMENDATION_EXPLORATION) if learner.personalized else 0.0
    eligible = steps.top_eligible if share and len(ranked) > 1 else None
    order, propensities = explore(list(ranked), share, _exploration, eligible)
    chosen = [ranked[slug] for slug in order]
    if chosen:
        steps.primary, steps.alternatives = chosen[0], chosen[1:]
        event_record(
            learner_id=learner.pk,
            verb="recommendation.shown",
            course=chosen[0].course.slug,
            payload={
                "items": order,
                "model": steps.policy,
                "reasons": [s.reason for s in chosen],
                "recommendation": steps.id,
                "propensities": propensities,
                "exploration": share,
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
