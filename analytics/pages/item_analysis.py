"""Item analysis of quiz questions, from the rollups of first attempts: difficulty,
discrimination (point-biserial with the rest score), what each option drew, and flags
for probably faulty items. The quizzes page and each quiz's page show it."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field

from analytics import models as m
from analytics.stats import fraction, point_biserial
from lms.courses.models import Activity, Question

MIN_RESPONSES = 10  # fewer first attempts than this: no flags, too noisy


@dataclass
class QuestionAnalysis:
    """The item analysis of one quiz question: its first-attempt difficulty and
    discrimination, its share right on any attempt, its options and its flags."""

    question: Question
    n: int = 0
    p: float | None = None  # difficulty: share right on first attempts
    r: float | None = None  # discrimination: point-biserial with the rest score
    all_n: int = 0
    all_p: float | None = None
    options: list[dict] = field(default_factory=list)
    flags: list[str] = field(default_factory=list)

    @property
    def label(self) -> str:
        return f"Q{self.question.position}"

    @property
    def prompt(self) -> str:
        text = " ".join(self.question.prompt.split())
        return text if len(text) <= 110 else text[:109] + "…"


def item_flags(item: QuestionAnalysis) -> list[str]:
    """Why an item is probably faulty (only with at least MIN_RESPONSES first attempts)."""
    if item.n < MIN_RESPONSES:
        return []
    flags = []
    if item.p is not None and item.p > 0.95:
        flags.append("too easy (over 95% right)")
    if item.p is not None and item.p < 0.2:
        flags.append("too hard (under 20% right)")
    if item.r is not None and item.r < 0:
        flags.append("negative discrimination")
    elif item.r is not None and item.r < 0.1:
        flags.append("near-zero discrimination")
    keys = [o["first"] for o in item.options if o["correct"]]
    wrong = [o for o in item.options if not o["correct"] and o["index"] is not None]
    if keys and wrong and max(o["first"] for o in wrong) > min(keys):
        flags.append("a distractor is chosen more than the key")
    return flags


def question_analyses(
    quizzes: list[Activity], questions: list[Question]
) -> dict[int, list[QuestionAnalysis]]:
    """The analysis of each of ``questions`` (of ``quizzes``), by quiz id, in the order given."""
    ids = [q.pk for q in quizzes]
    stats = {(i.activity_id, i.question): i for i in m.QuizItem.objects.filter(activity_id__in=ids)}
    chosen = defaultdict(dict)
    for o in m.QuizOption.objects.filter(activity_id__in=ids):
        chosen[o.activity_id, o.question][o.option] = o
    out: dict[int, list[QuestionAnalysis]] = defaultdict(list)
    for question in questions:
        s = stats.get((question.activity_id, question.slug))
        item = QuestionAnalysis(question)
        if s is not None:
            item.n, item.all_n = s.n, s.all_n
            item.p = fraction(s.sum_x, s.n)
            item.all_p = fraction(s.all_correct, s.all_n)
            item.r = point_biserial(s.n, s.sum_x, s.sum_y, s.sum_yy, s.sum_xy)
        counts = chosen.get((question.activity_id, question.slug), {})
        if question.type != Question.Type.NUMERIC:
            for index, option in enumerate(question.options or []):
                o = counts.get(str(index))
                item.options.append({"index": index, "text": option.get("text", ""), "correct": bool(option.get("correct")),
                                     "first": o.first_attempts if o else 0, "all": o.attempts if o else 0})  # fmt: skip
            for key, label in (("none", "(no answer)"), ("other", "(not an option)")):
                if key in counts:
                    o = counts[key]
                    item.options.append({"index": None, "text": label, "correct": False, "first": o.first_attempts,
                                         "all": o.attempts})  # fmt: skip
            for option in item.options:
                option["share"] = fraction(option["first"], item.n)
        item.flags = item_flags(item)
        out[question.activity_id].append(item)
    return out
