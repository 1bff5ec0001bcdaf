"""Simulating learners day by day: when they study, what they pick, how they watch,
answer and code, when they give up, and the events all of that leaves behind.

``simulate_learner`` is the whole life of one learner in the course; it depends only on
its own seed, so a cohort is reproducible event for event and can be simulated in any
order or in parallel. Events come out in the canonical format of docs/events.md (what
the browser and the server send), ready for the platform's ingestion service.
"""

from __future__ import annotations

import datetime as dt
import uuid
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Protocol

import numpy as np

from course_content import rules

from .curriculum import Curriculum, Item, Question
from .learner import Knowledge, LearnerParams, Traits, is_hard, p_correct, p_function_right

QUIZ_WINDOW_HOURS = 8.0
# A failed test's feedback (course_content.labkit.grade): the value message (the simulated
# learner has no real output to quote) and, for a known mistake, that mistake's hint.
VALUE_MESSAGE = "the returned values differ from the expected ones beyond the tolerance"
_FEEDBACK = ("mistake", "message", "hint")


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

    def appeal(self, item: Item) -> float:
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


class _Life:
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

    def _skips(self, item: Item) -> bool:
        p = self.params
        if item.interview:
            return bool(self.rng.random() < p.skip_interview)
        known = self.knowledge.p_mastered(item.concepts, self._day()) if item.concepts else 0.0
        return bool(self.rng.random() < p.skip_known_video * known**2)

    def _done(self, slug: str) -> bool:
        row = self.progress.get(slug)
        return row is not None and row.completed is not None

    # -- activities ------------------------------------------------------------------
    def _video(self, item: Item, day: int) -> float:
        p, rng = self.params, self.rng
        duration = float(item.duration or item.minutes * 60)
        hard = is_hard(item, self.knowledge, day)
        speed = self.traits.speed
        self._event("video.loaded", item, {"duration": duration})
        self._event("video.played", item, {"position": 0.0, "speed": 1.0})
        if speed != 1.0:
            self._event("video.speed_changed", item, {"position": 0.0, "old_speed": 1.0, "new_speed": speed})
        row = self._row(item)
        resume = row.segments[-1][1] if row.segments and row.segments[-1][1] < duration * 0.95 else 0.0
        # Longer videos lose more viewers (Guo et al. 2014); persistent learners stay.
        p_full = 1.0 / (1.0 + np.exp(-(p.watch_full_bias - duration / p.watch_length_scale
                                       + p.watch_persistence * (self.traits.persistence - 0.5))))  # fmt: skip
        stop = duration if rng.random() < p_full else float(rng.beta(2.0, 2.5) * duration)
        stop = max(stop, min(duration, resume + 30.0))
        position, watched = resume, 0.0
        if resume:
            self._event(
                "video.seeked", item, {"old_time": 0.0, "new_time": round(resume, 2), "kind": "resume"}
            )
        # Hard passages: the learner may pause and seek back to rewatch them.
        for _ in range(int(rng.poisson(duration / 240.0 * (0.5 + 2.0 * hard)))):
            at = float(rng.uniform(position, stop)) if stop > position else position
            watched += at - position
            self._advance((at - position) / 60.0 / speed)
            if rng.random() < p.seek_back * hard:
                back = max(0.0, at - float(rng.uniform(10, 45)))
                if rng.random() < 0.5:
                    self._event("video.paused", item, {"position": round(at, 2), "duration": duration,
                                                       "segments": rules.merge_segments(row.segments + [[resume, at]])})  # fmt: skip
                    self._advance(float(rng.uniform(0.1, 1.0)))
                    self._event("video.played", item, {"position": round(at, 2), "speed": speed})
                self._event("video.seeked", item, {"old_time": round(at, 2), "new_time": round(back, 2)})
                self._advance((at - back) / 60.0 / speed)
                watched += at - back
            position = at
        watched += stop - position
        self._advance((stop - position) / 60.0 / speed)
        row.segments = rules.merge_segments(row.segments + [[round(resume, 2), round(stop, 2)]])
        row.coverage = rules.coverage(row.segments, duration)
        if stop < duration * rules.VIDEO_COMPLETE and self.rng.random() > 0.5 * self.traits.persistence:
            self.passed_over.append(item.slug)  # stopped early and moved on
        if stop >= duration:
            self._event(
                "video.completed",
                item,
                {"position": duration, "duration": duration, "segments": row.segments},
            )
        else:
            self._event(
                "video.paused",
                item,
                {"position": round(stop, 2), "duration": duration, "segments": row.segments},
            )
        share = watched / duration
        self.knowledge.learn(item.concepts, p.learn_video * min(1.0, share) * self.traits.learn_rate, day)
        if rules.video_complete(row.coverage) and row.completed is None:
            row.completed = self.now
        return watched / 60.0 / speed + 0.5

    def _reading(self, item: Item, day: int) -> float:
        minutes = item.minutes * float(self.rng.uniform(0.6, 1.3))
        self._advance(minutes)
        self.knowledge.learn(item.concepts, self.params.learn_reading * self.traits.learn_rate, day)
        row = self._row(item)
        row.completed = row.completed or self.now
        return minutes

    def _quiz(self, item: Item, day: int) -> float:
        p, rng = self.params, self.rng
        recent = [q for q in self.quizzes if q.activity == item.slug
                  and (self.now - q.time).total_seconds() < QUIZ_WINDOW_HOURS * 3600]  # fmt: skip
        if len(recent) >= item.max_attempts:
            self.passed_over.append(item.slug)  # back another day
            return 1.0
        number = sum(q.activity == item.slug for q in self.quizzes) + 1
        self._event("quiz.started", item, {"attempt": number})
        answers, results = {}, {}
        for question in item.questions:
            theta = self.knowledge.mean_theta(question.concepts, day)
            right = bool(rng.random() < p_correct(question, theta, p))
            answers[question.key] = _answer(question, right, rng)
            results[question.key] = right
            self._advance(float(rng.uniform(0.5, 2.5)) * (1 + question.difficulty / 5))
            self._event("quiz.answered", item, {"question": question.key, "answer": answers[question.key],
                                                "correct": right, "attempt": number})  # fmt: skip
        score = sum(results.values()) / len(results) if results else 0.0
        passed = rules.quiz_passed(score, item.pass_fraction)
        self._event("quiz.submitted", item, {"attempt": number})
        self._event("quiz.graded", item, {"attempt": number, "score": score, "passed": passed, "questions": [
            {"question": k, "correct": v, "answer": answers[k]} for k, v in results.items()]})  # fmt: skip
        self.quizzes.append(QuizRecord(item.slug, number, answers, results, score, passed, self.now))
        missed = [q for q in item.questions if not results[q.key]]
        for question in missed:  # the explanations teach a little
            self.knowledge.learn(question.concepts, p.learn_quiz * self.traits.learn_rate, day)
        self._graded(item, score, passed)
        if not passed:
            self._after_failure(item, [c for q in missed for c in q.concepts])
        return sum(1.0 + q.difficulty / 5 for q in item.questions) * 1.5

    def _lab(self, item: Item, day: int) -> float:
        p, rng = self.params, self.rng
        self._event("lab.opened", item, {})
        fixed = self.lab_fixed.setdefault(item.slug, set())
        minutes, attempts = 0.0, 0
        while True:
            attempts += 1
            theta = self.knowledge.mean_theta(item.concepts, day)
            wrong = {}  # function -> (mistake name, hidden tests only?)
            for check in item.checks:
                if check.call in fixed or rng.random() < p_function_right(theta, p):
                    fixed.add(check.call)
                    continue
                mistake = str(rng.choice(check.mistakes)) if check.mistakes else "wrong output"
                wrong[check.call] = (mistake, bool(rng.random() < p.hidden_only_failure))
            work = (
                item.minutes / 3.0 * float(rng.uniform(0.5, 1.5))
                if attempts == 1
                else float(rng.uniform(3, 12))
            )
            self._advance(work)
            minutes += work
            run = self._lab_result(item, "run", wrong)
            submitted = None
            green = rules.lab_passed(rules.RUN, run.score, None)  # every public test passes
            if self.traits.verified and green or (self.traits.verified and rng.random() < 0.3):
                submitted = self._lab_result(item, "submit", wrong)
            self.knowledge.learn(item.concepts, p.learn_lab * self.traits.learn_rate, day)
            if submitted is not None:
                passing = self.c.passing_grade.get(item.course)
                passed = rules.lab_passed(rules.SUBMIT, submitted.score, passing)
                self._graded(item, submitted.score, passed)
                if passed:
                    break
            elif not self.traits.verified and green:
                self._graded(item, None, True)
                break
            if wrong:
                self.knowledge.learn(item.concepts, p.learn_hint * self.traits.learn_rate, day)
                for call in wrong:  # the hint names the mistake: most are fixed next time
                    if rng.random() < 0.45 + 0.45 * self.traits.persistence:
                        fixed.add(call)
            if attempts >= 8 or rng.random() > 0.35 + 0.6 * self.traits.persistence:
                self._after_failure(item, list(item.concepts))
                break
        return minutes

    def _lab_result(self, item: Item, mode: str, wrong: dict) -> LabRecord:
        tests = []
        for check in item.checks:
            mistake, hidden_only = wrong.get(check.call, (None, False))
            for name, public in check.tests:
                if mode == "run" and not public:
                    continue
                passed = mistake is None or (hidden_only and public)
                kind = "passed" if passed else "value"
                test = {"name": name, "passed": passed, "kind": kind, "points": 1.0}
                if not passed:  # the feedback the grader gives: its message, and the mistake's own hint
                    test.update(mistake=mistake, message=VALUE_MESSAGE, hint=check.hint(mistake))
                tests.append(test)
        score = sum(t["passed"] for t in tests) / len(tests) if tests else 0.0
        submission = str(uuid.UUID(bytes=self.rng.bytes(16), version=4))
        self._event("lab.ran" if mode == "run" else "lab.submitted", item, {"submission": submission})
        self._advance(float(self.rng.uniform(0.1, 0.5)))
        # The platform's lab.graded event carries each test's verdict, never its feedback.
        self._event("lab.graded", item, {"submission": submission, "mode": mode, "gradable": True, "score": score,
                                         "tests": [{k: v for k, v in t.items() if k not in _FEEDBACK}
                                                   for t in tests]})  # fmt: skip
        record = LabRecord(item.slug, mode, score, tests, self.now, submission)
        self.labs.append(record)
        return record

    def _after_failure(self, item: Item, concepts: list[str]) -> None:
        """Persistent learners review the lecture on what they missed, then try again;
        the others move on (and may come back to it)."""
        self.failures += 1.0
        if self.rng.random() < self.traits.persistence:
            review = self._teacher(item, concepts)
            self.queue = ([review] if review else []) + [item.slug] + self.queue
        else:
            self.passed_over.append(item.slug)

    def _teacher(self, item: Item, concepts: list[str]) -> str | None:
        """The latest video before ``item`` that covers the weakest missed concept."""
        if not concepts:
            return None
        day = self._day()
        weakest = min(concepts, key=lambda c: self.knowledge.theta(c, day))
        for candidate in reversed(self.c.items[: self.c.index[item.slug]]):
            if candidate.kind == "video" and weakest in candidate.concepts:
                row = self.progress.get(candidate.slug)
                if row is not None:
                    row.completed = None  # rewatching: not "done" for the chooser until finished again
                    row.segments, row.coverage = [], 0.0
                return candidate.slug
        return None

    # -- records ---------------------------------------------------------------------
    def _graded(self, item: Item, score: float | None, passed: bool) -> None:
        row = self._row(item)
        if score is not None and (row.score is None or score > row.score):
            row.score = score
        if passed and score is not None and not row.passed:
            row.passed, row.passed_at = True, self.now
        if passed and row.completed is None:
            row.completed = self.now
        if passed:
            row.study_minutes = self.minutes

    def _row(self, item: Item) -> Progress:
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

    def _event(self, verb: str, item: Item | None, payload: dict, course: str | None = None) -> None:
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


def _answer(question: Question, right: bool, rng: np.random.Generator):
    if question.type == "numeric":
        value = question.answer if question.answer is not None else 1.0
        return value if right else round(value * float(rng.choice([0.5, 2.0, -1.0, 10.0])) + 1.0, 4)
    options = list(range(question.n_options))
    if question.type == "single":
        if right:
            return question.correct[0] if question.correct else 0
        wrong = [o for o in options if o not in question.correct] or options
        return int(rng.choice(wrong))
    if right:
        return sorted(question.correct)
    chosen = sorted(int(o) for o in options if rng.random() < 0.5) or [0]
    return chosen if chosen != sorted(question.correct) else sorted(set(chosen) ^ {options[-1]})


# The platform's rule (course_content.rules); the name stays for older callers.
_merge = rules.merge_segments


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
