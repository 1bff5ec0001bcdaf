"""A/B tests of recommendation policies: assignment, exposure logging, and the outcome
comparison per arm with 95% intervals. Outcomes come from exposures and progress rows
(never a scan of the event table): for each exposed learner, the activities completed
and graded items passed since their first exposure, and the share of shown steps they
followed."""

from __future__ import annotations

import math
import secrets
import statistics
import time
from dataclasses import dataclass

from django.db import IntegrityError, transaction
from django.db.models import F
from django.utils import timezone

from lms.progress.models import ActivityProgress

from .models import Exposure, PolicyExperiment

_CHECK_SECONDS = 30.0
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


def experiment_start(*, name: str, arms: dict[str, int]) -> PolicyExperiment:
    arms = {arm: int(weight) for arm, weight in arms.items() if int(weight) > 0}
    unknown = set(arms) - set(PolicyExperiment.Arm.values)
    if unknown or len(arms) < 2:
        raise ExperimentRefused(f"give at least two arms among {', '.join(PolicyExperiment.Arm.values)}"
                                + (f" (unknown: {', '.join(sorted(unknown))})" if unknown else ""))  # fmt: skip
    try:
        with transaction.atomic():
            experiment = PolicyExperiment.objects.create(name=name, arms=arms, salt=secrets.token_hex(16))
    except IntegrityError as exc:
        raise ExperimentRefused("another experiment is running (stop it first) or the name is taken") from exc
    experiments_forget()
    return experiment


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
    mean: float
    low: float
    high: float
    n: int


def _interval(values: list[float]) -> Estimate:
    if not values:
        return Estimate(float("nan"), float("nan"), float("nan"), 0)
    mean = statistics.fmean(values)
    if len(values) < 2:
        return Estimate(mean, float("nan"), float("nan"), 1)
    half = 1.96 * statistics.stdev(values) / math.sqrt(len(values))  # normal approximation
    return Estimate(mean, mean - half, mean + half, len(values))


def experiment_outcomes(*, experiment: PolicyExperiment) -> dict[str, dict[str, Estimate]]:
    """Per arm: follow rate, activities completed and graded items passed per learner
    since first exposure (means with 95% intervals)."""
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
    for arm in sorted({a for _, a, _, _, _ in exposures}):
        mine = [(learner, shown, followed) for learner, a, _, shown, followed in exposures if a == arm]
        out[arm] = {
            "follow rate": _interval([f / s for _, s, f in mine if s]),
            "activities completed": _interval([float(completed.get(learner, 0)) for learner, _, _ in mine]),
            "graded items passed": _interval([float(passed.get(learner, 0)) for learner, _, _ in mine]),
        }
    return out
