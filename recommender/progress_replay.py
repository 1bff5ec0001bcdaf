"""A learner's progress rebuilt from their events by the platform's completion rules
(``course_content.rules``), for off-policy evaluation's progress reward
(``recommender.ope.logged_decisions``)."""

from __future__ import annotations

import pandas as pd

from course_content import rules


class ProgressReplay:
    """A learner's progress rebuilt from their events, by the platform's completion rules
    (``course_content.rules``): a video when 90% of it was played, a quiz when an attempt
    passed, a lab when a Submit reached the passing grade (or, for an auditor, a Run
    passed every test). Rows are ``recommender.simulate.records.Progress``, so the
    simulator's policies can read them."""

    def __init__(self, passing_grade: dict[str, float] | None = None):
        from recommender.simulate.records import Progress

        self._row = Progress
        self.passing = passing_grade or {}
        self.progress: dict = {}
        self.verified = False

    def add(
        self, time: pd.Timestamp, verb: str, course: str | None, activity: str | None, payload: dict
    ) -> bool:
        """Fold one event; True when it completed its activity for the first time."""
        if verb == "enrollment.activated":
            self.verified = self.verified or payload.get("track") == "verified"
            return False
        if not activity or verb.startswith("recommendation."):
            return False
        row = self.progress.get(activity)
        if row is None:
            row = self.progress[activity] = self._row(started=time.to_pydatetime())
        done = False
        if verb in ("video.paused", "video.completed"):
            duration = payload.get("duration")
            if duration:
                row.segments = rules.merge_segments(row.segments + list(payload.get("segments") or []))
                row.coverage = rules.coverage(row.segments, float(duration))
            done = rules.video_complete(row.coverage) or (verb == "video.completed" and not duration)
        elif verb in ("quiz.graded", "lab.graded"):
            score = payload.get("score")
            score = float(score) if isinstance(score, int | float) else 0.0
            row.score = max(row.score or 0.0, score)
            if verb == "quiz.graded":
                done = bool(payload.get("passed", rules.quiz_passed(score, None)))
            else:
                mode = rules.RUN if payload.get("mode") == rules.RUN else rules.SUBMIT
                done = rules.lab_completes(
                    mode, score, self.passing.get(course or ""), auditing=not self.verified
                )
            if done:
                row.passed = True
        if done and row.completed is None:
            row.completed = time.to_pydatetime()
            return True
        return False
