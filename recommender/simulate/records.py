"""What a simulated learner leaves behind and what a policy sees of them: progress rows,
quiz and lab records, the whole run (``LearnerRun``), the platform's view of a learner
(``LearnerView``), the policy protocol and the recommendation slate, and the cohort's
events as the canonical export frame (``events_frame``). ``cohort`` simulates them."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from .curriculum import Curriculum, CurriculumActivity
from .learner import Traits


@dataclass
class Progress:
    started: dt.datetime
    completed: dt.datetime | None = None
    score: float | None = None  # best graded score
    passed: bool = False
    passed_at: dt.datetime | None = None
    coverage: float = 0.0
    segments: list[list[float]] = field(default_factory=list)
    study_minutes: float | None = None  # the learner's study time so far when it was completed


@dataclass
class QuizRecord:
    activity: str
    number: int
    answers: dict
    results: dict
    score: float
    passed: bool
    time: dt.datetime


@dataclass
class LabRecord:
    activity: str
    mode: str  # run | submit
    score: float
    tests: list[dict]
    time: dt.datetime
    event_id: str  # the submission id the events refer to


@dataclass
class LearnerRun:
    index: int
    traits: Traits
    enrolled: dt.datetime
    enroll_day: int  # day of the window the learner joined
    events: list[dict]
    quizzes: list[QuizRecord]
    labs: list[LabRecord]
    progress: dict[str, Progress]
    mastery: float  # mean p(mastered) over the curriculum's concepts at the end
    start_mastery: float  # the same at enrollment (prior knowledge)
    dropped_day: int | None
    active_days: int
    study_minutes: float
    completed: dict[str, dt.datetime]  # course -> when every graded item was passed
    certificates: dict[str, dt.datetime]  # the same, for verified learners
    courses: list[str]  # courses the learner enrolled in

    def minutes_to_complete(self, course: str, curriculum: Curriculum) -> float | None:
        """Study minutes until every graded item of ``course`` was passed (None if never)."""
        if course not in self.completed:
            return None
        graded = [self.progress[i.slug] for i in curriculum.items if i.course == course and i.graded]
        return max((row.study_minutes or 0.0) for row in graded) if graded else None


@dataclass
class LearnerView:
    """What a recommendation policy may see of a learner: their progress and history
    (never their latent mastery)."""

    curriculum: Curriculum
    progress: dict[str, Progress]
    events: list[dict]
    now: dt.datetime
    verified: bool
    learner: int = 0  # index in the cohort
    session: str = ""  # the study session the choice is made in


class Policy(Protocol):
    name: str

    def choose(self, view: LearnerView) -> str | None: ...


@dataclass(frozen=True)
class Shows:
    """Recording recommendations as the platform does (``simulate_cohort(shows=...)``):
    before each activity the learner is shown the policy's first ``slate`` valid steps,
    the top one drawn by exploration with probability ``exploration``
    (``recommender.ope``), and follows it with probability
    ``compliance * exp(-minutes / follow_minutes)``: a five-minute video is followed
    about twice as often as an hour-long lab."""

    exploration: float = 0.1  # recommender.ope.EXPLORATION, the platform's default
    slate: int = 3  # the top step and two alternatives, as on the home page
    follow_minutes: float = 60.0

    def appeal(self, item: CurriculumActivity) -> float:
        return float(np.exp(-item.minutes / self.follow_minutes))


def policy_slate(policy: Policy, view: LearnerView, k: int) -> list[str]:
    """A policy's first ``k`` steps in its order: its choice, then its choice were that
    one done, and so on (a policy names one step; its later ones are what it would name
    next). Works for any ``Policy``, and whatever checks its ``choose`` applies hold for
    every step of the slate."""
    chosen: list[str] = []
    progress = view.progress
    for _ in range(k):
        step = policy.choose(view if not chosen else LearnerView(
            view.curriculum, progress, view.events, view.now, view.verified, view.learner, view.session))  # fmt: skip
        if step is None or step in chosen or step not in view.curriculum.index:
            break
        chosen.append(step)
        progress = {**progress, step: Progress(started=view.now, completed=view.now)}
    return chosen


def events_frame(runs: list[LearnerRun], *, learner_offset: int = 0):
    """The cohort's events as the canonical export frame (docs/events.md; what
    ``export_events --format parquet`` writes), learner ids = offset + index."""
    import json

    import pandas as pd

    rows = [
        (
            e["id"],
            learner_offset + run.index,
            e["time"],
            e["verb"],
            e.get("session", ""),
            e.get("course"),
            e.get("activity"),
            json.dumps(e["payload"]),
            "simulation",
            e["time"],
        )  # fmt: skip
        for run in runs
        for e in run.events
    ]
    frame = pd.DataFrame(rows, columns=["event_id", "learner_id", "time", "verb", "session_id", "course", "activity",
                                        "payload", "source", "received"])  # fmt: skip
    for column in ("time", "received"):
        frame[column] = pd.to_datetime(frame[column], utc=True)
    return frame
