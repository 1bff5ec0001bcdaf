"""From model outputs to a next step, with its reason: the model-based policy.

Pure code over plain data (no Django, no torch), shared by the platform (which builds
``Candidate`` rows from a learner's progress) and the simulator (from a simulated
learner's view), so what is evaluated in simulation is what learners get.

The rules, in order:

1. **Remediation after a failure**: a graded item failed and not passed since: first the
   lecture that teaches the concept the model is least sure about, then the retake.
2. **Due work first**: graded items past their soft deadline, when the predicted
   success is in reach.
3. **Resume** a video left half-watched.
4. **The next step**, among unlocked activities not done: the model's probability that
   the learner engages with it, weighted toward items not yet mastered, and assessments
   whose predicted success lies in the *productive band* (hard enough to teach, likely
   enough to succeed); an assessment predicted below the band waits until the lectures
   on its concepts are done.

When the model predicts a high risk of disengaging, short activities come first.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

PRODUCTIVE_BAND = (0.55, 0.9)
HIGH_RISK = 0.5
SHORT_MINUTES = 8


@dataclass(frozen=True)
class Candidate:
    slug: str
    kind: str  # video | reading | quiz | lab
    title: str
    where: str  # e.g. the week's title, for reasons
    order: int  # position in the syllabus
    minutes: int = 5
    concepts: tuple[str, ...] = ()
    graded: bool = False
    state: str = "available"  # done | started | available | locked
    score: float | None = None  # best graded score
    passed: bool = False
    coverage: float = 0.0  # videos
    due: bool = False  # graded, past its soft deadline, not passed
    pass_mark: float = 0.8
    questions: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (question key, its concepts)


@dataclass(frozen=True)
class ModelOutputs:
    next_probability: dict[str, float]  # activity slug -> p(the learner engages with it next)
    correctness: Callable[[list[str]], dict[str, float]]  # question keys -> p(correct)
    risk: float  # p(disengaging)
    version: str = ""


@dataclass
class Step:
    slug: str
    reason: str
    rank_score: float
    kind: str = "next"  # remediation | retake | due | resume | next
    details: dict = field(default_factory=dict)


def predicted_success(candidate: Candidate, model: ModelOutputs) -> float | None:
    if not candidate.questions:
        return None
    p = model.correctness([key for key, _ in candidate.questions])
    return sum(p.values()) / len(p)


def weakest_concept(candidate: Candidate, model: ModelOutputs) -> tuple[str, float] | None:
    """The concept whose questions the model expects the learner to do worst on."""
    if not candidate.questions:
        return (candidate.concepts[0], float("nan")) if candidate.concepts else None
    p = model.correctness([key for key, _ in candidate.questions])
    by_concept: dict[str, list[float]] = {}
    for key, concepts in candidate.questions:
        for concept in concepts or candidate.concepts:
            by_concept.setdefault(concept, []).append(p[key])
    if not by_concept:
        return None
    concept = min(by_concept, key=lambda c: (sum(by_concept[c]) / len(by_concept[c]), c))
    return concept, sum(by_concept[concept]) / len(by_concept[concept])


def _teacher(candidates: list[Candidate], before: Candidate, concept: str) -> Candidate | None:
    lessons = [c for c in candidates if c.kind in ("video", "reading") and concept in c.concepts]
    earlier = [c for c in lessons if c.order < before.order]
    return (earlier or lessons or [None])[-1] if (earlier or lessons) else None


def choose(
    candidates: list[Candidate],
    model: ModelOutputs,
    *,
    recent_failure: str | None = None,
    concept_titles: dict[str, str] | None = None,
    limit: int = 3,
) -> list[Step]:
    """Ranked next steps (at most ``limit``), each with its reason."""
    titles = concept_titles or {}
    by_slug = {c.slug: c for c in candidates}
    steps: list[Step] = []
    seen: set[str] = set()

    def add(step: Step) -> None:
        if step.slug not in seen:
            seen.add(step.slug)
            steps.append(step)

    # 1. Remediation after a failure.
    failed = by_slug.get(recent_failure or "")
    if failed is not None and not failed.passed:
        weak = weakest_concept(failed, model)
        if weak is not None:
            concept, p = weak
            teacher = _teacher(candidates, failed, concept)
            name = titles.get(concept, concept)
            if teacher is not None:
                expected = "" if p != p else f" (predicted {p:.0%} on its questions)"
                add(Step(teacher.slug, f"Your last attempt at “{failed.title}” fell short; {name} is where the "
                         f"model expects most trouble{expected}. Review this first.", 100.0, "remediation",
                         {"concept": concept}))  # fmt: skip
        add(Step(failed.slug, f"Then try “{failed.title}” again (best so far {round(100 * (failed.score or 0))}%, "
                 f"pass mark {round(100 * failed.pass_mark)}%).", 95.0, "retake"))  # fmt: skip

    open_items = [c for c in candidates if c.state != "done" and c.state != "locked"]
    short_first = model.risk >= HIGH_RISK

    # 2. Due work, when in reach.
    for c in sorted((c for c in open_items if c.due and not c.passed), key=lambda c: c.order):
        p = predicted_success(c, model)
        if p is None or p >= PRODUCTIVE_BAND[0]:
            chance = "" if p is None else f"; predicted success {p:.0%}"
            add(
                Step(
                    c.slug,
                    f"Graded and past its soft deadline{chance}: catch up here.",
                    80.0 - c.order * 1e-3,
                    "due",
                )
            )

    # 3. Resume a half-watched video.
    for c in sorted(
        (c for c in open_items if c.kind == "video" and 0.05 <= c.coverage < 0.9), key=lambda c: c.order
    ):
        add(Step(c.slug, f"You have watched {round(100 * c.coverage)}% of this video; pick up where you left off.",
                 70.0 - c.order * 1e-3, "resume"))  # fmt: skip

    # 4. The next step the model expects, weighted toward what helps.
    scored = []
    for c in open_items:
        p_next = model.next_probability.get(c.slug, 0.0)
        score = p_next + 0.02 / (1 + c.order)  # ties: earlier in the syllabus
        reason = None
        if c.kind in ("quiz", "lab") and c.questions:
            p = predicted_success(c, model)
            low, high = PRODUCTIVE_BAND
            if p is not None and p < low:
                lessons = [_teacher(candidates, c, concept) for concept in c.concepts]
                if any(t is not None and t.state != "done" for t in lessons):
                    continue  # its lessons come first; they are candidates of their own
                score *= 0.5
                reason = f"Predicted success {p:.0%}: a stretch, but the lessons it builds on are done."
            elif p is not None:
                score *= 1.5 if p <= high else 1.0
                reason = (f"Predicted success {p:.0%}: in the productive range, a good moment to test yourself."
                          if p <= high else f"Predicted success {p:.0%}: you are likely ready for this.")  # fmt: skip
        if reason is None:
            share = f" ({p_next:.0%} of learners like you go here next)" if p_next >= 0.05 else ""
            topic = ", ".join(titles.get(x, x) for x in c.concepts[:2])
            reason = f"Next in {c.where}{share}" + (f": covers {topic}." if topic else ".")
        if short_first and c.minutes <= SHORT_MINUTES:
            score += 1.0
            reason = "A short one to get back into the course. " + reason
        scored.append((score, c, reason))
    for score, c, reason in sorted(scored, key=lambda t: (-t[0], t[1].order)):
        add(Step(c.slug, reason, float(score), "next"))
        if len(steps) >= limit + 2:
            break
    return steps[:limit]
