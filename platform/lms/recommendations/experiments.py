"""A/B tests of recommendation policies: assignment, exposure logging, and the outcome
comparison per arm with 95% intervals. Outcomes come from exposures and progress rows
(never a scan of the event table): for each exposed learner, the activities completed
and graded items passed since their first exposure, and the share of shown steps they
followed.

An arm's outcomes are estimated only once ``MIN_LEARNERS_PER_ARM`` learners were exposed
to it; before that the page says "not enough data yet (k of n needed)" rather than a
mean and an interval that would mislead (or read NaN)."""

from __future__ import annotations

import math
import secrets
import statistics
import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone
from django.utils.text import slugify

from lms.progress.models import ActivityProgress

from .models import Exposure, PolicyExperiment

_CHECK_SECONDS = 30.0
TITLE_MAX = 120
# The normal approximation behind the 95% intervals (mean +- 1.96 standard errors) is
# the usual rule of thumb from 30 observations on; per-learner counts and follow rates
# are skewed, so fewer learners give intervals that are too narrow.
MIN_LEARNERS_PER_ARM = 30
_cache: dict = {"at": -_CHECK_SECONDS, "value": None}


class ExperimentRefused(Exception):
    pass


def running_experiment() -> PolicyExperiment | None:
    """The running experiment, looked up at most every 30 s per process."""
    if time.monotonic() - _cache["at"] > _CHECK_SECONDS:
        _cache["value"] = PolicyExperiment.objects.filter(running=True).first()
        _cache["at"] = time.monotonic()
    return _cache["value"]


def experiments_forget() -> None:
    _cache["at"] = -_CHECK_SECONDS


def experiment_start(*, title: str, arms: dict[str, int]) -> PolicyExperiment:
    """Start an experiment titled in free text (a unique slug is derived for events and
    URLs: "model vs syllabus, Dec" -> ``model-vs-syllabus-dec``, then ``-2``, ``-3``...)."""
    title = " ".join(str(title or "").split())
    if not title:
        raise ExperimentRefused("give the experiment a title")
    if len(title) > TITLE_MAX:
        raise ExperimentRefused(f"the title is longer than {TITLE_MAX} characters")
    try:
        arms = {arm: int(weight) for arm, weight in arms.items() if int(weight) > 0}
    except (TypeError, ValueError) as exc:
        raise ExperimentRefused("give each arm a whole-number weight (0 leaves it out)") from exc
    unknown = set(arms) - set(PolicyExperiment.Arm.values)
    if unknown or len(arms) < 2:
        raise ExperimentRefused(f"give at least two arms among {', '.join(PolicyExperiment.Arm.values)}"
                                + (f" (unknown: {', '.join(sorted(unknown))})" if unknown else ""))  # fmt: skip
    if PolicyExperiment.objects.filter(running=True).exists():
        raise ExperimentRefused("another experiment is running (stop it first)")
    try:
        with transaction.atomic():
            experiment = PolicyExperiment.objects.create(
                title=title, name=_unique_slug(title), arms=arms, salt=secrets.token_hex(16)
            )
    except IntegrityError as exc:  # a start at the same moment won the race
        raise ExperimentRefused("another experiment is running (stop it first)") from exc
    experiments_forget()
    return experiment


def _unique_slug(title: str) -> str:
    base = slugify(title)[:70].strip("-") or "experiment"
    taken = set(PolicyExperiment.objects.filter(name__startswith=base).values_list("name", flat=True))
    slug, number = base, 1
    while slug in taken:
        number += 1
        slug = f"{base}-{number}"
    return slug


def experiment_stop(*, experiment: PolicyExperiment) -> None:
    PolicyExperiment.objects.filter(pk=experiment.pk).update(running=False, stopped=timezone.now())
    experiments_forget()


def exposure_record(*, experiment: PolicyExperiment, learner, arm: str) -> None:
    if not Exposure.objects.filter(experiment=experiment, learner=learner).update(shown=F("shown") + 1):
        Exposure.objects.bulk_create(
            [Exposure(experiment=experiment, learner=learner, arm=arm, first_shown=timezone.now(), shown=1)],
            ignore_conflicts=True,
        )


def exposure_followed(*, learner) -> None:
    experiment = running_experiment()
    if experiment is not None:
        Exposure.objects.filter(experiment=experiment, learner=learner).update(followed=F("followed") + 1)


@dataclass
class Estimate:
    """A mean with its 95% interval, or (``ready`` False) a count of the learners so
    far: ``low``/``high`` are None until ``n`` reaches ``needed``, never NaN."""

    mean: float | None
    low: float | None
    high: float | None
    n: int
    needed: int = MIN_LEARNERS_PER_ARM

    @property
    def ready(self) -> bool:
        return self.n >= self.needed and self.low is not None


def _interval(
    values: list[float], *, floor: float = 0.0, ceiling: float = math.inf, needed: int = MIN_LEARNERS_PER_ARM
) -> Estimate:
    """Mean and normal-approximation 95% interval, clipped to the values' range
    (``floor``..``ceiling``: a rate's interval never leaves 0..1)."""
    values = [v for v in values if math.isfinite(v)]
    if not values:
        return Estimate(None, None, None, 0, needed)
    mean = statistics.fmean(values)
    if len(values) < max(needed, 2):
        return Estimate(mean, None, None, len(values), needed)
    half = 1.96 * statistics.stdev(values) / math.sqrt(len(values))
    return Estimate(mean, max(floor, mean - half), min(ceiling, mean + half), len(values), needed)


@dataclass
class ArmSummary:
    """One arm of an experiment as the page shows it."""

    arm: str
    label: str  # plain words ("Syllabus order, not personalized")
    weight: int
    share: float  # of personalized learners, 0..1
    exposed: int
    outcomes: dict[str, Estimate]

    @property
    def cells(self) -> list[Estimate]:
        return [self.outcomes[name] for name in OUTCOMES]


OUTCOMES = ("follow rate", "activities completed", "graded items passed")


def experiment_outcomes(*, experiment: PolicyExperiment) -> dict[str, dict[str, Estimate]]:
    """Per arm (every arm of the experiment, exposed or not): follow rate, activities
    completed and graded items passed per learner since first exposure (means with 95%
    intervals once the arm has ``MIN_LEARNERS_PER_ARM`` learners)."""
    exposures = list(Exposure.objects.filter(experiment=experiment).values_list("learner_id", "arm", "first_shown",
                                                                                "shown", "followed"))  # fmt: skip
    since = {learner: first for learner, _, first, _, _ in exposures}
    completed: dict[int, int] = {}
    passed: dict[int, int] = {}
    if since:
        rows = ActivityProgress.objects.filter(
            learner_id__in=list(since), completed__gte=min(since.values())
        ).values_list("learner_id", "completed", "passed", "activity__graded")
        for learner, when, was_passed, graded in rows:
            if when >= since[learner]:
                completed[learner] = completed.get(learner, 0) + 1
                passed[learner] = passed.get(learner, 0) + int(bool(was_passed and graded))
    out = {}
    for arm in sorted(set(experiment.arms) | {a for _, a, _, _, _ in exposures}):
        mine = [(learner, shown, followed) for learner, a, _, shown, followed in exposures if a == arm]
        out[arm] = {
            # Following the same step twice (two tabs) must not push a rate above 1.
            "follow rate": _interval([min(1.0, f / s) for _, s, f in mine if s], ceiling=1.0),
            "activities completed": _interval([float(completed.get(learner, 0)) for learner, _, _ in mine]),
            "graded items passed": _interval([float(passed.get(learner, 0)) for learner, _, _ in mine]),
        }
    return out


def experiment_summary(*, experiment: PolicyExperiment) -> list[ArmSummary]:
    """The arms as rows: plain-words label, weight, share of learners, learners exposed,
    and the outcomes (``experiment_outcomes``)."""
    outcomes = experiment_outcomes(experiment=experiment)
    total = sum(experiment.arms.values())
    labels = dict(PolicyExperiment.Arm.choices)
    return [
        ArmSummary(
            arm=arm,
            label=labels.get(arm, arm),
            weight=int(experiment.arms.get(arm, 0)),
            share=experiment.arms.get(arm, 0) / total if total else 0.0,
            exposed=result["activities completed"].n,
            outcomes=result,
        )
        for arm, result in outcomes.items()
    ]
