"""Write side: showing a next step (an event), following or dismissing it, and the
learner's personalization switch."""

from __future__ import annotations

import logging
import random
import time
import uuid
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import timezone

from lms.accounts.models import User
from lms.progress.selectors import CourseState
from lms.tracking.services import event_record
from recommender.next_step import Step
from recommender.ope import explore
from recommender.pedagogy import check

from . import rule_policies
from .experiments import exposure_followed, exposure_record, running_experiment
from .generation import GENERATION_KEY, learner_generation
from .model_policy import checked_suggestions, learner_state, model_suggestions
from .selectors import learner_course_states
from .serving import active_model

log = logging.getLogger(__name__)


@dataclass
class NextSteps:
    id: str
    policy: str
    primary: rule_policies.Suggestion | None
    alternatives: list[rule_policies.Suggestion] = field(default_factory=list)
    experiment: object | None = None  # the running PolicyExperiment the learner is in
    arm: str = ""
    top_eligible: list[str] = field(default_factory=list)  # slugs exploration may put on top


_exploration = random.Random()  # draws the explored top steps (not for security)
NEXT_STEPS_KEY = "next-steps:v2:{}"  # one entry a learner: (stamp, (policy, suggestions, top-eligible slugs))
CACHE_SECONDS = 600  # also bounds what no event reports, such as a course imported again
PENDING_KEY = "next-steps:pending:{}"  # a precompute is scheduled for the learner and has not started
PENDING_SECONDS = 60  # a scheduled precompute that has not started by then may be scheduled again
PRECOMPUTE_CHUNK = 100  # learners per precompute task (a bulk import touches thousands)
# Seconds from a learner's first change to their precompute: changes in between (the
# tracker sends a batch every 3 s while a video plays) are computed in the same run.
DEBOUNCE_SECONDS = 2.0

# How many times this process chose a learner's steps, by caller: "request" (a cache miss
# while a learner waits) and "precompute" (the task). Tests read it to prove that a
# request was answered from the stored steps; nothing else depends on it.
computed: Counter[str] = Counter()


@dataclass(frozen=True)
class _Context:
    """What a learner's steps depend on besides their history and progress. ``stamp``
    names all of it; stored steps are used only under the same stamp."""

    generation: str
    stamp: str
    experiment: object | None
    arm: str
    loaded: object


def _context(learner, generation: str | None = None) -> _Context:
    experiment = running_experiment() if learner.personalized else None
    arm = experiment.arm_for(learner.pk) if experiment else ""
    loaded = active_model()
    version = loaded.version.number if loaded.recommender is not None else "-"
    generation = generation or learner_generation(learner.pk)
    stamp = (
        f"{generation}:{learner.personalized}:{version}:"
        f"{experiment.pk if experiment else '-'}:{arm}:{timezone.localdate().isoformat()}"
    )
    return _Context(generation, stamp, experiment, arm, loaded)


def _stored(learner, context: _Context) -> tuple | None:
    """The steps stored for the learner under ``context``'s stamp, or None."""
    entry = cache.get(NEXT_STEPS_KEY.format(learner.pk))
    return entry[1] if entry is not None and entry[0] == context.stamp else None


def next_steps_stored(*, learner) -> bool:
    """Whether the learner's stored steps are fresh (a request would be answered from
    them without computing)."""
    return _stored(learner, _context(learner)) is not None


def _computed(learner, context: _Context, states: list[CourseState] | None, caller: str) -> tuple:
    computed[caller] += 1
    if states is None:
        states = learner_course_states(learner=learner)
    return _choose(learner, states, context.arm, context.loaded) if states else ("", None, [])


def next_steps_compute(*, learner, states: list[CourseState] | None = None) -> NextSteps | None:
    """Choose the next step and two alternatives (None: the learner is in no course).
    Personalized learners get the active model's policy (the rules when no model loads);
    the others, the syllabus order.

    The choice is normally already stored: ``next_steps_precompute`` (a task scheduled
    by ``learners_touched``) computes it when the learner's history or progress changes.
    It is used only under the stamp it was stored with: the learner's generation, the
    day, the active model and their experiment arm. Otherwise (a cold cache, a task not
    run yet, a new day or model) it is computed here, once, and stored. ``states`` (the
    learner's courses, if the caller has them) are read only then."""
    # One cache round trip for the learner's generation and their stored steps (the
    # generation is made, as learner_generation does, only when it is missing).
    generation_key, steps_key = GENERATION_KEY.format(learner.pk), NEXT_STEPS_KEY.format(learner.pk)
    found = cache.get_many([generation_key, steps_key])
    context = _context(learner, found.get(generation_key))
    entry = found.get(steps_key) if generation_key in found else None
    choice = entry[1] if entry is not None and entry[0] == context.stamp else None
    if choice is None:
        choice = _computed(learner, context, states, "request")
        cache.set(NEXT_STEPS_KEY.format(learner.pk), (context.stamp, choice), CACHE_SECONDS)
    name, chosen, eligible = choice
    if chosen is None:
        return None
    return NextSteps(uuid.uuid4().hex, name, chosen[0] if chosen else None, chosen[1:3], context.experiment,
                     context.arm, eligible)  # fmt: skip


def next_steps_precompute(*, learner_ids: Iterable[int]) -> int:
    """Compute and store the next steps of ``learner_ids`` (``tasks.next_steps_precompute``);
    how many were stored. Running twice does no harm: a learner whose stored steps still
    match their stamp is skipped, a learner who is gone is ignored.

    The pending marks go first, so a change from now on schedules another run. Steps are
    stored only if the learner's generation did not change while they were computed: a
    newer change has its own run coming, and a request would compute them anyway."""
    ids = sorted({int(i) for i in learner_ids})
    cache.delete_many([PENDING_KEY.format(i) for i in ids])
    stored = 0
    for learner in User.objects.filter(pk__in=ids):
        context = _context(learner)
        if _stored(learner, context) is not None:
            continue
        choice = _computed(learner, context, None, "precompute")
        if learner_generation(learner.pk) != context.generation:
            continue
        cache.set(NEXT_STEPS_KEY.format(learner.pk), (context.stamp, choice), CACHE_SECONDS)
        stored += 1
    return stored


def next_steps_schedule(*, learner_ids: Iterable[int]) -> int:
    """Schedule the precompute of learners whose history or progress just changed (the
    receiver of ``lms.tracking.listeners.learners_changed``, after the change commits);
    how many learners were scheduled.

    Debounced: a learner gets one run ``DEBOUNCE_SECONDS`` after the first
    change, and further changes until that run starts only mark them pending again (the
    browser sends a batch every 3 s while a video plays), so a burst of batches is
    computed once, from all of it. Best effort: with the broker or the cache down nothing
    is scheduled and a request computes the steps as before; the change itself (events,
    progress) is never held up or refused for it."""
    from .tasks import next_steps_precompute as precompute_task  # tasks imports this module

    keys = {i: PENDING_KEY.format(i) for i in sorted(set(learner_ids))}
    pending = cache.get_many(list(keys.values())) if keys else {}
    due = [i for i, key in keys.items() if key not in pending]
    if not due or cache.set_many({keys[i]: 1 for i in due}, PENDING_SECONDS):
        return 0  # all pending already, or the cache keeps nothing (nowhere to store steps)
    for start in range(0, len(due), PRECOMPUTE_CHUNK):
        chunk = due[start : start + PRECOMPUTE_CHUNK]
        try:
            precompute_task.apply_async(args=(chunk,), countdown=DEBOUNCE_SECONDS,
                                        expires=DEBOUNCE_SECONDS + CACHE_SECONDS, retry=False)  # fmt: skip
        except Exception as exc:  # noqa: BLE001 - kombu raises several types for "broker down"
            _schedule_failed(exc)
            cache.delete_many([keys[i] for i in due[start:]])  # the next change tries again
            return start
    return len(due)


_warned = {"at": -60.0}


def _schedule_failed(exc: Exception) -> None:
    now = time.monotonic()
    if now - _warned["at"] >= 60.0:  # once a minute per process, not once per batch
        _warned["at"] = now
        log.warning("next steps not precomputed (%s: %s); requests compute them", type(exc).__name__, exc)


CHECKED_FROM = 10  # steps asked of a policy, so that the checker can replace the invalid ones


def _choose(
    learner, states: list[CourseState], arm: str, loaded
) -> tuple[str, list[rule_policies.Suggestion], list[str]]:
    """(policy name, ranked suggestions, the slugs among them that may be the top step)
    for one learner: whichever policy serves them (syllabus, rules, the model, an
    experiment's arm), its longer ranked list goes through the pedagogy checker
    (``recommender.pedagogy``): the first three valid steps, the top one in the learner's
    current course and week, each violation logged. Exploration draws its top step only
    among the third list, so it never breaks the invariants either."""
    state = learner_state(states)
    name, chosen = _policy_choice(learner, states, arm, loaded, state)
    chosen = checked_suggestions(state=state, states=states, suggestions=chosen, policy=name)
    eligible = [s.activity.slug for s in chosen
                if not check(state, [Step(s.activity.slug, s.reason, 0.0, s.kind)])]  # fmt: skip
    return name, chosen, eligible


def _policy_choice(learner, states, arm: str, loaded, state) -> tuple[str, list[rule_policies.Suggestion]]:
    today = timezone.localdate()
    current, n = state.current_course, CHECKED_FROM
    if not learner.personalized or arm == "syllabus":
        return rule_policies.SYLLABUS, rule_policies.syllabus(states, limit=n, current=current)
    if arm == "rules" or loaded.recommender is None:
        return rule_policies.RULES, rule_policies.rules(states, today=today, limit=n, current=current)
    name = loaded.version.label
    try:
        chosen = model_suggestions(learner=learner, states=states, recommender=loaded.recommender, label=name,
                                   limit=n, state=state)  # fmt: skip
    except Exception:  # noqa: BLE001 - a model error must not take the home page down
        log.exception("the model policy failed for learner %s; using the rules", learner.pk)
        chosen = []
    if chosen:
        return name, chosen
    return rule_policies.RULES, rule_policies.rules(states, today=today, limit=n, current=current)


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
            exposure_record(experiment=steps.experiment, learner=learner, arm=steps.arm)
    return steps


def recommendation_answered(*, learner, recommendation_id: str, target: str, followed: bool) -> None:
    """The learner followed a suggestion (``target`` is the activity slug) or chose
    for themselves (``target`` is the suggestion they set aside)."""
    if followed:
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
