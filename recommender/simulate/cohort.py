"""Simulating learners day by day: when they study, what they pick, how they watch,
answer and code, when they give up, and the events all of that leaves behind.

``simulate_learner`` is the whole life of one learner in the course; it depends only on
its own seed, so a cohort is reproducible event for event and can be simulated in any
order or in parallel. Events come out in the canonical format of docs/events.md (what
the browser and the server send), ready for the platform's ingestion service. What a
learner does in each kind of activity is in ``activities``; the records a run leaves
(and ``events_frame``) in ``records``.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator

import numpy as np

from .activities import ActivityWork
from .curriculum import Curriculum, CurriculumActivity
from .learner import Knowledge, LearnerParams, Traits
from .records import LabRecord, LearnerRun, LearnerView, Policy, Progress, QuizRecord, Shows, policy_slate


def simulate_cohort(
    curriculum: Curriculum,
    *,
    learners: int,
    days: int,
    seed: int,
    start: dt.datetime,
    params: LearnerParams | None = None,
    policy: Policy | None = None,
    compliance: float = 0.0,
    first: int = 0,
    shows: Shows | None = None,
) -> Iterator[LearnerRun]:
    """Learners ``first`` .. ``first + learners - 1`` of the cohort ``seed``: learner i's
    life depends only on (seed, i), so slices can be simulated apart and joined.

    ``shows`` (with a ``policy``): the learners are shown the policy's next steps as on
    the platform's home page, and the ``recommendation.*`` events are recorded (see
    ``Shows``); without it, a learner asks the policy with probability ``compliance``
    and follows it, and no recommendation event is recorded."""
    params = params or LearnerParams()
    seeds = np.random.SeedSequence(seed).spawn(first + learners)
    for index in range(first, first + learners):
        yield simulate_learner(
            curriculum, index=index, seed=seeds[index], days=days, start=start, params=params,
            policy=policy, compliance=compliance, shows=shows,
        )  # fmt: skip


def simulate_learner(
    curriculum: Curriculum,
    *,
    index: int,
    seed: np.random.SeedSequence | int,
    days: int,
    start: dt.datetime,
    params: LearnerParams | None = None,
    policy: Policy | None = None,
    compliance: float = 0.0,
    shows: Shows | None = None,
) -> LearnerRun:
    return _Life(curriculum, index, np.random.default_rng(seed), days, start, params or LearnerParams(),
                 policy, compliance, shows).run()  # fmt: skip


class _Life(ActivityWork):
    """One learner from enrollment to the end (finished, dropped out, or out of days)."""

    def __init__(self, curriculum, index, rng, days, start, params, policy, compliance, shows=None):
        self.c: Curriculum = curriculum
        self.index, self.rng, self.days, self.params = index, rng, days, params
        self.policy, self.compliance, self.shows = policy, compliance, shows
        self.traits = Traits.draw(rng, params)
        self.knowledge = Knowledge(params, params.prior_mean + self.traits.prior)
        self.start_mastery = self.knowledge.p_mastered(curriculum.concepts, 0.0)
        # Learners join over the first weeks of the window.
        self.enroll_day = int(rng.integers(0, max(1, min(28, days // 3))))
        self.enrolled = start + dt.timedelta(days=self.enroll_day, hours=float(rng.uniform(8, 22)))
        self.events: list[dict] = []
        self.quizzes: list[QuizRecord] = []
        self.labs: list[LabRecord] = []
        self.progress: dict[str, Progress] = {}
        self.passed_over: list[str] = []  # decided once: skipped, or abandoned after failing
        self.queue: list[str] = []  # what the learner means to do next (review, retake)
        self.second_chance: list[str] = []  # graded items already offered a last try
        self.courses: list[str] = []  # courses enrolled in, in order
        self.lab_fixed: dict[str, set[str]] = {}  # lab -> functions the learner got right
        self.failures = 0.0  # recent failures (halve each day)
        self.last_active = self.enroll_day
        self.minutes = 0.0
        self.session = ""
        self.now = self.enrolled

    # -- the days ------------------------------------------------------------------
    def run(self) -> LearnerRun:
        p = self.params
        self._enroll(self.c.courses[0])
        active_days, dropped = 0, None
        for day in range(self.enroll_day, self.days):
            date = self.enrolled.replace(hour=0, minute=0, second=0, microsecond=0) + dt.timedelta(
                days=day - self.enroll_day
            )
            weekend = date.weekday() >= 5
            chance = self.traits.pace * (p.weekend_factor if weekend else 1.0)
            if self._finished():
                break  # done with everything they meant to do
            self._catch_up(day)
            if self.rng.random() < chance:
                start = date + dt.timedelta(hours=float((self.traits.hour + self.rng.normal(0, 1.0)) % 24))
                self.now = max(start, self.now)
                self._session(day)
                active_days += 1
                self.last_active = day
            self.failures *= 0.5
            if self.rng.random() < self._hazard(day):
                dropped = day
                break
        final_day = float(dropped if dropped is not None else self.days)
        completed, certificates = self._completions()
        return LearnerRun(
            index=self.index,
            traits=self.traits,
            enrolled=self.enrolled,
            enroll_day=self.enroll_day,
            events=self.events,
            quizzes=self.quizzes,
            labs=self.labs,
            progress=self.progress,
            mastery=self.knowledge.p_mastered(self.c.concepts, final_day),
            start_mastery=self.start_mastery,
            dropped_day=dropped,
            active_days=active_days,
            study_minutes=self.minutes,
            completed=completed,
            certificates=certificates,
            courses=self.courses,
        )

    def _catch_up(self, day: int) -> None:
        """A missed soft deadline: a verified learner (or a persistent auditor) puts the
        earliest unpassed graded item of an overdue week at the front of their plans."""
        if self.rng.random() > self.traits.persistence * (1.0 if self.traits.verified else 0.3):
            return
        weeks_due = (day - self.enroll_day) // 7
        for item in self.c.items:
            if item.week > weeks_due:
                return
            if item.graded and item.slug in self.progress and not self._done(item.slug):
                if item.slug not in self.queue:
                    self.queue.insert(0, item.slug)
                return

    def _hazard(self, day: int) -> float:
        p, t = self.params, self.traits
        h = p.dropout_base * (p.dropout_verified_factor if t.verified else 1.0) * (1.6 - t.persistence)
        h += p.dropout_failure * self.failures
        h += p.dropout_behind * self._weeks_behind(day)
        h += p.dropout_away * (day - self.last_active)
        if day - self.enroll_day < 3:
            h += p.dropout_first_days * (1.0 - t.persistence)
        return min(h, 0.9)

    def _weeks_behind(self, day: int) -> int:
        """Weeks whose soft deadline (enrollment + 7 days per week) passed with graded
        work not passed."""
        weeks_due = (day - self.enroll_day) // 7
        behind = set()
        for item in self.c.items:
            if item.week > weeks_due:
                break
            if item.graded and not (item.slug in self.progress and self.progress[item.slug].passed):
                behind.add(item.week)
        return len(behind)

    # -- a study session -------------------------------------------------------------
    def _session(self, day: int) -> None:
        self.session = self.rng.bytes(8).hex()
        budget = min(150.0, max(10.0, float(self.rng.exponential(self.params.session_minutes))))
        while budget > 0:
            slug = self._choose()
            if slug is None:
                return
            item = self.c.item(slug)
            if item.course not in self.courses:
                self._enroll(item.course)
            self._event("navigation.page_viewed", item, {"path": f"/courses/{item.course}/{item.slug}/"})
            spent = {"video": self._video, "reading": self._reading, "quiz": self._quiz, "lab": self._lab}[
                item.kind
            ](item, day)
            self.minutes += spent
            budget -= spent
            self._advance(self.rng.uniform(0.2, 2.0))

    def _choose(self) -> str | None:
        if self.policy is not None and self.shows is not None:
            return self._shown()
        if self.policy is not None and self.rng.random() < self.compliance:
            view = LearnerView(self.c, self.progress, self.events, self.now, self.traits.verified, self.index,
                               self.session)  # fmt: skip
            suggested = self.policy.choose(view)
            if suggested is not None and suggested in self.c.index and not self._done(suggested):
                return suggested
        return self._next()

    def _shown(self) -> str | None:
        """The platform's next steps, as the home page shows them before each activity:
        the policy's valid ranked steps (``policy_slate``), the top one possibly drawn
        by exploration (``recommender.ope.explore``, which gives the propensities), and
        ``recommendation.shown``; the learner then follows the top step
        (``recommendation.followed``) with probability ``compliance`` times its appeal
        (``Shows.appeal``: long steps are followed less), or sets it aside
        (``recommendation.dismissed``) and chooses for themselves."""
        from recommender.ope import explore

        view = LearnerView(self.c, self.progress, self.events, self.now, self.traits.verified, self.index,
                           self.session)  # fmt: skip
        ranked = [s for s in policy_slate(self.policy, view, self.shows.slate) if not self._done(s)]
        if not ranked:
            return self._next()
        shown, propensities = explore(ranked, self.shows.exploration, self.rng)
        top = self.c.item(shown[0])
        recommendation = self.rng.bytes(16).hex()
        self._event("recommendation.shown", None, {
            "items": shown, "model": self.policy.name, "recommendation": recommendation,
            "propensities": propensities, "exploration": self.shows.exploration}, course=top.course)  # fmt: skip
        answer = {"target": top.slug, "recommendation": recommendation}
        if self.rng.random() < self.compliance * self.shows.appeal(top):
            self._event("recommendation.followed", top, answer)
            return top.slug
        self._event("recommendation.dismissed", top, answer)
        return self._next()

    def _next(self) -> str | None:
        """The learner's own choice: what they queued, else the first thing in syllabus
        order they have neither done nor decided to pass over."""
        while self.queue:
            slug = self.queue.pop(0)
            if not self._done(slug):
                return slug
        for item in self.c.items:
            if self._done(item.slug) or item.slug in self.passed_over:
                continue
            if item.kind == "video" and self._skips(item):
                self.passed_over.append(item.slug)
                continue
            return item.slug
        # At the end, graded work left behind gets one more try from persistent learners.
        for slug in self.passed_over:
            item = self.c.item(slug)
            if item.graded and slug not in self.second_chance and not self._done(slug):
                self.second_chance.append(slug)
                if self.rng.random() < self.traits.persistence:
                    return slug
        return None

    def _finished(self) -> bool:
        if any(not self._done(slug) for slug in self.queue):
            return False
        open_items = [i for i in self.c.items if not self._done(i.slug) and i.slug not in self.passed_over]
        retry = [s for s in self.passed_over if self.c.item(s).graded and s not in self.second_chance
                 and not self._done(s)]  # fmt: skip
        return not open_items and not retry

    def _skips(self, item: CurriculumActivity) -> bool:
        p = self.params
        if item.interview:
            return bool(self.rng.random() < p.skip_interview)
        known = self.knowledge.p_mastered(item.concepts, self._day()) if item.concepts else 0.0
        return bool(self.rng.random() < p.skip_known_video * known**2)

    def _done(self, slug: str) -> bool:
        row = self.progress.get(slug)
        return row is not None and row.completed is not None

    def _row(self, item: CurriculumActivity) -> Progress:
        row = self.progress.get(item.slug)
        if row is None:
            row = self.progress[item.slug] = Progress(started=self.now)
        return row

    def _completions(self) -> tuple[dict, dict]:
        completed, certificates = {}, {}
        for course in self.c.courses:
            graded = [i for i in self.c.items if i.course == course and i.graded]
            if not graded:
                continue
            rows = [self.progress.get(i.slug) for i in graded]
            if self.traits.verified:
                if all(r is not None and r.passed for r in rows):
                    completed[course] = certificates[course] = max(r.passed_at for r in rows)
            elif all(r is not None and r.completed is not None for r in rows):
                completed[course] = max(r.completed for r in rows)
        return completed, certificates

    def _enroll(self, course: str) -> None:
        self.courses.append(course)
        track = "verified" if self.traits.verified else "audit"
        self._event("enrollment.activated", None, {"track": track}, course=course)

    def _event(
        self, verb: str, item: CurriculumActivity | None, payload: dict, course: str | None = None
    ) -> None:
        event = {
            "id": str(uuid.UUID(bytes=self.rng.bytes(16), version=4)),
            "time": self.now,
            "verb": verb,
            "session": self.session,
            "payload": payload,
        }
        if item is not None:
            event["course"], event["activity"] = item.course, item.slug
        elif course is not None:
            event["course"] = course
        self.events.append(event)
        self.now += dt.timedelta(milliseconds=int(self.rng.integers(200, 3000)))

    def _advance(self, minutes: float) -> None:
        self.now += dt.timedelta(minutes=max(0.0, float(minutes)))

    def _day(self) -> float:
        return self.enroll_day + (self.now - self.enrolled).total_seconds() / 86400.0
