"""Quiz attempts: grade the answers, keep the attempt, record the events."""

from __future__ import annotations

import datetime as dt
import math
from typing import Any

from django.db import transaction
from django.utils import timezone

from course_content.rules import quiz_passed
from lms.courses.models import Activity, Question
from lms.tracking.services import event_record

from .models import QuizAttempt

ATTEMPT_WINDOW = dt.timedelta(hours=8)  # max_attempts apply per window (docs/content-format.md)


class AttemptRefused(Exception):
    pass


def question_correct(question: Question, answer: Any) -> bool:
    """single: the index of one option; multiple: a list of option indexes; numeric: a number."""
    if question.type == Question.Type.NUMERIC:
        try:
            value = float(answer)
        except (TypeError, ValueError):
            return False
        return math.isfinite(value) and abs(value - question.answer) <= (question.tolerance or 0) + 1e-9
    correct = {i for i, option in enumerate(question.options) if option["correct"]}
    if question.type == Question.Type.SINGLE:
        return isinstance(answer, int) and answer in correct and len(correct) == 1
    return isinstance(answer, list) and set(answer) == correct


def attempts_left(*, learner, activity: Activity, now: dt.datetime | None = None) -> int:
    since = (now or timezone.now()) - ATTEMPT_WINDOW
    used = QuizAttempt.objects.filter(learner=learner, activity=activity, submitted__gte=since).count()
    return max(0, (activity.max_attempts or 3) - used)


@transaction.atomic
def quiz_attempt_submit(*, learner, activity: Activity, answers: dict[str, Any]) -> QuizAttempt:
    if activity.kind != Activity.Kind.QUIZ:
        raise AttemptRefused("this activity is not a quiz")
    # Lock the learner's attempts for this quiz so two submits cannot both take the last one.
    previous = list(QuizAttempt.objects.select_for_update().filter(learner=learner, activity=activity))
    if attempts_left(learner=learner, activity=activity) <= 0:
        raise AttemptRefused(
            f"you have used your {activity.max_attempts or 3} attempts for now; try again within 8 hours"
        )
    questions = list(activity.questions.filter(retired=False))
    results = {q.slug: question_correct(q, answers.get(q.slug)) for q in questions}
    score = sum(results.values()) / len(questions) if questions else 0.0
    attempt = QuizAttempt.objects.create(
        learner=learner,
        activity=activity,
        number=max((a.number for a in previous), default=0) + 1,
        answers={q.slug: answers.get(q.slug) for q in questions},
        results=results,
        score=score,
        passed=quiz_passed(score, activity.pass_fraction),
    )
    event_record(learner_id=learner.pk, verb="quiz.submitted", activity=activity.slug,
                 payload={"attempt": attempt.number})  # fmt: skip
    event_record(
        learner_id=learner.pk,
        verb="quiz.graded",
        activity=activity.slug,
        payload={
            "attempt": attempt.number,
            "score": score,
            "passed": attempt.passed,
            "questions": [
                {"question": slug, "correct": ok, "answer": attempt.answers[slug]}
                for slug, ok in results.items()
            ],
        },
    )
    from lms.progress.services import progress_scored

    progress_scored(learner_id=learner.pk, activity=activity, score=score, passed=attempt.passed)
    return attempt
