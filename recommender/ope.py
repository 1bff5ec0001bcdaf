"""Off-policy evaluation: what a candidate policy would have achieved, estimated from
what learners were shown and did under another (the *logging*) policy.

Pure code (numpy, pandas, the simulator's curriculum and policies; no Django, no torch
unless a model policy is asked for), shared by the platform, which logs, and by
``python -m recommender ope``, which estimates from an exported events file.

Logging (docs/recommender.md, "Off-policy evaluation")
    Every ``recommendation.shown`` carries ``propensities``: for each item shown, the
    probability with which the logging policy put it in its slot, and ``exploration``:
    the share ``EXPLORATION`` of showings whose top step was drawn uniformly from the
    policy's own valid ranked steps that may be on top (``explore``: the pedagogy
    checker's top-step rules decide which). The other steps keep their rank order. So
    the probabilities are exact, and every such step has a chance of being on top, which
    is what makes estimates of other policies possible.

The estimand
    Each showing is a contextual-bandit round: the context is the learner where they
    stand, the action the *top* step, and two rewards: *followed* (the learner followed
    the top step: a ``recommendation.followed`` of that recommendation naming it) and
    *progress* (activities the learner completed for the first time within
    ``HORIZON_DAYS`` after the showing; showings closer than that to the end of the data
    are left out of it). A candidate policy is a rule that names a top step in the same
    context; its value is the mean reward over the logged contexts.

Estimators (Dudík, Langford & Li, "Doubly robust policy evaluation and learning", 2011)
    with ``w = pi(a | x) / mu(a | x)`` (target over logging probability of the shown top):
    * IPS: ``mean(w * r)``; unbiased, high variance;
    * self-normalised IPS: ``sum(w * r) / sum(w)``; a little bias, much less variance;
    * doubly robust: ``mean(q(x, pi) + w * (r - q(x, a)))`` with a reward model ``q``
      (per top step, shrunk to the mean, fitted on the other half of the learners:
      cross-fitting); unbiased when the propensities are exact, whatever ``q``.
    Intervals: 95% percentile bootstrap over *learners* (a learner's showings are not
    independent). ``support`` is the share of showings where the candidate's step was
    one the logging policy could have put on top: where it is not, IPS counts nothing
    and only the doubly robust estimate's reward model speaks, so a support well below 1
    means the log cannot tell much about that candidate.

The progress reward replays each learner's progress (``recommender.progress_replay``);
the estimators are checked where the truth is known in ``recommender.ope_check``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from recommender.event_frame import parse_payload
from recommender.progress_replay import ProgressReplay

EXPLORATION = 0.1  # share of showings whose top step is drawn uniformly from the policy's valid steps
HORIZON_DAYS = 7  # progress: activities completed within this many days of a showing
BOOTSTRAP = 1000
SHRINK = 5.0  # pseudo-observations of the mean in the reward model's per-step means
ESTIMATORS = ("ips", "snips", "dr")
REWARDS = ("followed", "progress")


class OPEError(ValueError):
    """The log cannot answer the question (no propensities, no showings...)."""


# --- logging: exploration with exact propensities --------------------------------------


def _slates(ranked: Sequence[str], share: float, eligible: Sequence[str]) -> list[tuple[list[str], float]]:
    """Every slate exploration can show, with its probability: the top step is the first
    of the ``eligible`` ones (those fit to be on top) with probability
    ``1 - share + share / k``, any other of the ``k`` eligible with ``share / k``; the
    rest of ``ranked`` keep their rank order."""
    k = len(eligible)
    out = []
    for j, top in enumerate(eligible):
        p = share / k + (1.0 - share if j == 0 else 0.0)
        out.append(([top, *(s for s in ranked if s != top)], p))
    return out


def _eligible(ranked: Sequence[str], eligible: Iterable[str] | None) -> list[str]:
    allowed = None if eligible is None else set(eligible)
    found = [s for s in ranked if allowed is None or s in allowed]
    return found or list(ranked[:1])  # nothing fit for the top: the policy's own order stands


def slot_propensities(
    ranked: Sequence[str], shown: Sequence[str], share: float, eligible: Iterable[str] | None = None
) -> list[float]:
    """For each item of ``shown``, the probability that exploration over ``ranked`` (the
    policy's order; ``eligible``: the steps that may go on top, all by default) put it
    in its slot."""
    slates = _slates(ranked, share, _eligible(ranked, eligible))
    return [sum(p for slate, p in slates if slate[i] == item) for i, item in enumerate(shown)]


def explore(
    ranked: Sequence[str], share: float, rng: Any, eligible: Iterable[str] | None = None
) -> tuple[list[str], list[float]]:
    """The slate to show and each item's propensity. ``ranked`` is the policy's valid
    ranked steps (duplicates dropped), ``eligible`` those that may be on top (the
    pedagogy checker's top-step rules; all by default), ``rng`` anything with
    ``random()`` (numpy's Generator or the ``random`` module). ``share`` 0 shows
    ``ranked`` as it is."""
    if not 0.0 <= share <= 1.0:
        raise ValueError(f"the exploration share must be within [0, 1], not {share}")
    ranked = list(dict.fromkeys(ranked))
    if not ranked:
        return [], []
    eligible = _eligible(ranked, eligible)
    slates = _slates(ranked, share, eligible)
    u, chosen = float(rng.random()), slates[-1][0]
    for slate, p in slates:
        if u < p:
            chosen = slate
            break
        u -= p
    return chosen, [round(p, 6) for p in slot_propensities(ranked, chosen, share, eligible)]


# --- from events to logged decisions ----------------------------------------------------


@dataclass
class Log:
    """The logged decisions: one row per ``recommendation.shown`` with propensities
    (``decisions``), and the events they came from, sorted by learner and time."""

    decisions: pd.DataFrame
    events: pd.DataFrame
    without_propensities: int  # showings that could not be used


def logged_decisions(
    events: pd.DataFrame | str,
    *,
    passing_grade: dict[str, float] | None = None,
    horizon_days: float = HORIZON_DAYS,
) -> Log:
    """The decisions of an events frame or file (canonical export: ``export_events``).
    Columns: learner_id, time, recommendation, model, course, top, propensity (of the
    top step), items, followed (0/1), progress (NaN when the horizon runs past the data).
    Raises ``OPEError`` when no showing records propensities."""
    from recommender.event_frame import load_events

    frame = load_events(events)
    if "course" not in frame.columns:
        frame["course"] = None
    end = frame["time"].max()
    horizon = pd.Timedelta(days=horizon_days)
    rows, skipped = [], 0
    followed: set[tuple[int, str, str]] = set()
    completions: dict[int, list[pd.Timestamp]] = {}
    replay: ProgressReplay | None = None
    learner = None
    relevant = frame["verb"].isin(
        ["recommendation.shown", "recommendation.followed", "enrollment.activated", "video.paused",
         "video.completed", "quiz.graded", "lab.graded"]
    )  # fmt: skip
    for row in frame.loc[
        relevant, ["learner_id", "time", "verb", "course", "activity", "payload"]
    ].itertuples(index=False):
        if row.learner_id != learner:
            learner, replay = row.learner_id, ProgressReplay(passing_grade)
            completions[learner] = []
        payload = parse_payload(row.payload)
        if row.verb == "recommendation.shown":
            items, props = payload.get("items") or [], payload.get("propensities")
            if not items or not isinstance(props, list) or len(props) != len(items) or not props[0]:
                skipped += 1
                continue
            rows.append((learner, row.time, str(payload.get("recommendation") or ""), str(payload.get("model") or ""),
                         row.course, str(items[0]), float(props[0]), list(map(str, items))))  # fmt: skip
        elif row.verb == "recommendation.followed":
            followed.add(
                (learner, str(payload.get("recommendation") or "")[:64], str(payload.get("target") or ""))
            )
        elif replay.add(row.time, row.verb, row.course, row.activity, payload):
            completions[learner].append(row.time)
    if not rows:
        raise OPEError(
            f"the log has no recommendation.shown with propensities ({skipped} showings without): "
            "off-policy estimates need the probability with which each step was shown, which the "
            "platform records since exploration was introduced (docs/recommender.md)"
        )
    decisions = pd.DataFrame(
        rows,
        columns=["learner_id", "time", "recommendation", "model", "course", "top", "propensity", "items"],
    )
    decisions["followed"] = [
        float((lid, rec[:64], top) in followed)
        for lid, rec, top in zip(
            decisions["learner_id"], decisions["recommendation"], decisions["top"], strict=True
        )
    ]
    progress = np.full(len(decisions), np.nan)
    shown_all = decisions["time"].dt.tz_convert(None).to_numpy()
    last, span = np.datetime64(end.tz_convert(None)), np.timedelta64(horizon)
    for lid, index in decisions.groupby("learner_id").indices.items():
        times = pd.DatetimeIndex(completions.get(lid, []), tz="UTC").tz_convert(None).to_numpy()
        shown = shown_all[index]
        ok = shown + span <= last
        after = np.searchsorted(times, shown, side="right")
        until = np.searchsorted(times, shown + span, side="right")
        progress[index] = np.where(ok, until - after, np.nan)
    decisions["progress"] = progress
    return Log(decisions, frame, skipped)


# --- candidate policies ------------------------------------------------------------------


def candidate_steps(log: Log, policy, curriculum, *, limit: int | None = None) -> list[str | None]:
    """The top step a candidate policy (``recommender.simulate.records.Policy``: ``choose``
    over a ``LearnerView``) names at each logged decision, the learner's progress rebuilt
    from their events up to that moment. ``limit``: only the first decisions (the rest
    None)."""
    from recommender.simulate.records import LearnerView

    decisions = log.decisions
    wanted = len(decisions) if limit is None else min(limit, len(decisions))
    out: list[str | None] = [None] * len(decisions)
    keys = {(lid, rec, t): i for i, (lid, rec, t) in enumerate(
        zip(decisions["learner_id"], decisions["recommendation"], decisions["time"], strict=True)) if i < wanted}  # fmt: skip
    if not keys:
        return out
    learners = set(decisions["learner_id"].iloc[:wanted])
    frame = log.events[log.events["learner_id"].isin(learners)]
    if "event_id" not in frame.columns:
        frame = frame.assign(event_id="")
    learner, replay, history = None, None, []
    columns = ["learner_id", "time", "verb", "course", "activity", "payload", "event_id"]
    for row in frame[columns].itertuples(index=False):
        if row.learner_id != learner:
            learner, replay, history = row.learner_id, ProgressReplay(curriculum.passing_grade), []
        payload = parse_payload(row.payload)
        if row.verb == "recommendation.shown":
            key = (learner, str(payload.get("recommendation") or ""), row.time)
            if key in keys:
                view = LearnerView(curriculum, replay.progress, history, row.time.to_pydatetime(), replay.verified,
                                   int(learner), str(payload.get("recommendation") or ""))  # fmt: skip
                step = policy.choose(view)
                out[keys[key]] = step if step is not None and step in curriculum.index else None
        replay.add(row.time, row.verb, row.course, row.activity, payload)
        history.append({"id": str(row.event_id), "time": row.time.to_pydatetime(), "verb": row.verb,
                        "course": row.course, "activity": row.activity, "payload": payload, "session": ""})  # fmt: skip
    return out


# --- the estimators -------------------------------------------------------------------


@dataclass
class Estimate:
    value: float
    low: float
    high: float

    def __str__(self) -> str:
        return "n/a" if math.isnan(self.value) else f"{self.value:.3f} [{self.low:.3f}, {self.high:.3f}]"


@dataclass
class PolicyEstimate:
    policy: str
    decisions: int  # showings used
    learners: int
    support: float  # share of showings where the candidate's step could have been on top
    match: float  # share where it was on top
    estimates: dict[str, dict[str, Estimate]]  # reward -> estimator -> estimate

    def as_dict(self) -> dict:
        return {
            "policy": self.policy, "decisions": self.decisions, "learners": self.learners,
            "support": self.support, "match": self.match,
            "estimates": {r: {e: vars(v) for e, v in est.items()} for r, est in self.estimates.items()},
        }  # fmt: skip


def _reward_model(
    tops: np.ndarray, rewards: np.ndarray, fold: np.ndarray
) -> Callable[[np.ndarray], np.ndarray]:
    """Cross-fitted q(step): each fold's per-step mean reward, shrunk toward the mean,
    from the *other* fold; ``predict(steps)`` for the rows of each fold."""
    tables = []
    for f in (0, 1):
        other = fold != f
        mean = float(rewards[other].mean()) if other.any() else float(rewards.mean())
        sums = pd.Series(rewards[other]).groupby(tops[other]).agg(["sum", "count"])
        table = ((sums["sum"] + SHRINK * mean) / (sums["count"] + SHRINK)).to_dict()
        tables.append((table, mean))

    def predict(steps: np.ndarray) -> np.ndarray:
        out = np.empty(len(steps))
        for f, (table, mean) in enumerate(tables):
            rows = np.flatnonzero(fold == f)
            out[rows] = [table.get(s, mean) for s in steps[rows]]
        return out

    return predict


def estimate(
    log: Log,
    targets: Sequence[str | None] | None,
    *,
    name: str,
    share: float | None = None,
    bootstrap: int = BOOTSTRAP,
    seed: int = 0,
) -> PolicyEstimate:
    """Estimate a candidate policy's follow rate and progress from ``log``.

    ``targets``: the candidate's top step at each decision (``candidate_steps``; None:
    it names none there, and the showing is left out), or None for the logging policy
    itself (weights 1: the on-policy mean). ``share`` (the logging exploration) only
    checks support; each showing's own propensities are what the weights use."""
    d = log.decisions
    keep = np.ones(len(d), bool) if targets is None else np.array([t is not None for t in targets])
    if not keep.any():
        raise OPEError(f"{name} names no step at any logged decision")
    d = d[keep]
    learners = d["learner_id"].to_numpy()
    tops = d["top"].to_numpy().astype(object)
    mu = d["propensity"].to_numpy(float)
    if targets is None:
        chosen, w, support, match = tops, np.ones(len(d)), 1.0, 1.0
    else:
        chosen = np.array([t for t in targets if t is not None], dtype=object)
        w = (chosen == tops) / mu
        support = float(np.mean([c in items for c, items in zip(chosen, d["items"], strict=True)]))
        match = float(np.mean(chosen == tops))
    ids, cluster = np.unique(learners, return_inverse=True)
    fold = (pd.util.hash_array(ids.astype("int64"))[cluster] % 2).astype(int)
    rng = np.random.default_rng(seed)
    draws = rng.integers(0, len(ids), size=(bootstrap, len(ids)))
    out: dict[str, dict[str, Estimate]] = {}
    for reward in REWARDS:
        r = d[reward].to_numpy(float)
        ok = ~np.isnan(r)
        if not ok.any():
            out[reward] = {e: Estimate(math.nan, math.nan, math.nan) for e in ESTIMATORS}
            continue
        q = _reward_model(tops[ok], r[ok], fold[ok])
        dm = q(chosen[ok]) + w[ok] * (r[ok] - q(tops[ok]))
        terms = np.stack([w[ok] * r[ok], w[ok], dm, np.ones(ok.sum())])  # (4, n)
        per = np.stack([np.bincount(cluster[ok], weights=t, minlength=len(ids)) for t in terms])  # (4, L)
        boot = per[:, draws].sum(axis=2)  # (4, B)
        full = per.sum(axis=1)

        def stats(s):
            return (s[0] / s[3], s[0] / np.where(s[1] > 0, s[1], np.nan), s[2] / s[3])

        points, samples = stats(full), stats(boot)
        out[reward] = {
            e: Estimate(float(p), *map(float, np.nanpercentile(s, [2.5, 97.5])))
            for e, p, s in zip(ESTIMATORS, points, samples, strict=True)
        }
    return PolicyEstimate(name, int(keep.sum()), len(ids), support, match, out)


def candidate_policy(spec: str, curriculum):
    """A candidate by name: ``logging`` (the policy that logged: None), ``syllabus``, or
    ``model:DIR`` (a trained recommender's policy, ``recommender.next_step.choose`` over its
    outputs, as in the simulator)."""
    from pathlib import Path

    from recommender.simulate.simulated_policies import Syllabus, model_policy

    if spec == "logging":
        return None
    if spec == "syllabus":
        return Syllabus()
    if spec.startswith("model:"):
        policy = model_policy(Path(spec.removeprefix("model:")), curriculum)
        policy.name = spec
        return policy
    raise ValueError(f"unknown candidate policy {spec!r}: logging, syllabus or model:DIR")


def evaluate_candidates(
    log: Log,
    specs: Sequence[str],
    curriculum,
    *,
    limit: int | None = None,
    bootstrap: int = BOOTSTRAP,
    seed: int = 0,
) -> list[PolicyEstimate]:
    """Estimates for each candidate (``candidate_policy`` names) on the first ``limit``
    logged decisions (all by default: a model policy costs a prediction per decision)."""
    if limit is not None and limit < len(log.decisions):
        log = Log(log.decisions.iloc[:limit].reset_index(drop=True), log.events, log.without_propensities)
    out = []
    for spec in specs:
        policy = candidate_policy(spec, curriculum)
        targets = None if policy is None else candidate_steps(log, policy, curriculum)
        out.append(estimate(log, targets, name=spec, bootstrap=bootstrap, seed=seed))
    return out


def table(results: Iterable[PolicyEstimate]) -> str:
    """A Markdown table: one row per policy and estimator."""
    lines = [
        "| policy | estimator | follow rate | progress (7 days) | showings | support |",
        "|---" * 6 + "|",
    ]
    for res in results:
        for e in ESTIMATORS:
            lines.append(f"| {res.policy} | {e} | {res.estimates['followed'][e]} | {res.estimates['progress'][e]} "
                         f"| {res.decisions:,} | {res.support:.0%} |")  # fmt: skip
    return "\n".join(lines)
