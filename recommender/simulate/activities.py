"""How a simulated learner works through each kind of activity: watching a video
(segments, skips, the 90% rule), reading, answering a quiz, coding a lab (Run, then
Submit, fixing what the hints name), and what a failure leads to (a review, a retake,
giving up). ``ActivityWork`` is mixed into the learner's life (``cohort._Life``), which
owns the state these methods read and the events they write (``_row``, ``_event``,
``_advance``)."""

from __future__ import annotations

import uuid

import numpy as np

from course_content import rules

from .curriculum import CurriculumActivity, Question
from .learner import is_hard, p_correct, p_function_right
from .records import LabRecord, QuizRecord

QUIZ_WINDOW_HOURS = 8.0
# A failed test's feedback (course_content.labkit.grade): the value message (the simulated
# learner has no real output to quote) and, for a known mistake, that mistake's hint.
VALUE_MESSAGE = "the returned values differ from the expected ones beyond the tolerance"
_FEEDBACK = ("mistake", "message", "hint")


class ActivityWork:
    """The activity behaviours of ``cohort._Life`` (a mixin: the state is the life's)."""

    def _video(self, item: CurriculumActivity, day: int) -> float:
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

    def _reading(self, item: CurriculumActivity, day: int) -> float:
        minutes = item.minutes * float(self.rng.uniform(0.6, 1.3))
        self._advance(minutes)
        self.knowledge.learn(item.concepts, self.params.learn_reading * self.traits.learn_rate, day)
        row = self._row(item)
        row.completed = row.completed or self.now
        return minutes

    def _quiz(self, item: CurriculumActivity, day: int) -> float:
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

    def _lab(self, item: CurriculumActivity, day: int) -> float:
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
            elif rules.lab_completes(rules.RUN, run.score, None, auditing=not self.traits.verified):
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

    def _lab_result(self, item: CurriculumActivity, mode: str, wrong: dict) -> LabRecord:
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

    def _after_failure(self, item: CurriculumActivity, concepts: list[str]) -> None:
        """Persistent learners review the lecture on what they missed, then try again;
        the others move on (and may come back to it)."""
        self.failures += 1.0
        if self.rng.random() < self.traits.persistence:
            review = self._teacher(item, concepts)
            self.queue = ([review] if review else []) + [item.slug] + self.queue
        else:
            self.passed_over.append(item.slug)

    def _teacher(self, item: CurriculumActivity, concepts: list[str]) -> str | None:
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
    def _graded(self, item: CurriculumActivity, score: float | None, passed: bool) -> None:
        row = self._row(item)
        if score is not None and (row.score is None or score > row.score):
            row.score = score
        if passed and score is not None and not row.passed:
            row.passed, row.passed_at = True, self.now
        if passed and row.completed is None:
            row.completed = self.now
        if passed:
            row.study_minutes = self.minutes


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
