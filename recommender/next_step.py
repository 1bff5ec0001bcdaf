"""From model outputs to a next step, with its reason: the model-based policy.

Pure code over plain data (no Django, no torch), shared by the platform (which builds
``Candidate`` rows from a learner's progress) and the simulator (from a simulated
learner's view), so what is evaluated in simulation is what learners get.

The rules, in order:

1. **Remediation after a failure** in the current course: a graded item failed and not
   passed since: first the lecture that teaches the concept the model is least sure
   about (or, when that lecture is done, an unlocked lab that practises it), then the
   retake. Then, for a current course with nothing started or done, its first activity:
   a course begins at its beginning, whatever other learners opened first.
2. **Due work first**: graded items of the current course past their soft deadline, when
   the predicted success is in reach and a lesson on each of their topics is done (a
   learner behind finishes the lecture before the overdue quiz on it).
3. **Practice once it is unlocked**: a lab of the learner's current course, in their
   current or next week, whose prerequisite concepts are covered (the course graph
   unlocks it) and whose own concepts have been taught (a lesson on each is done) comes
   before more lectures. Doing beats watching: in MOOC data, practice activities were
   worth about six times as much learning as videos or readings (Koedinger et al.,
   "Learning is not a spectator sport", L@S 2015). Not for a learner the model sees at
   high risk of disengaging: a long lab is what they skip.
4. **Ready to pass**: an assessment of the current course and week (or the next) whose
   predicted success reaches its pass mark is taken now, not after the rest of the
   lectures (learners who pass sooner fall behind less), once a lesson on each of its
   topics is done: never a test before any lesson, however confident the prior.
5. **Resume** a video of the current course left half-watched.
6. **The next step**, among unlocked activities not done: the model's probability that
   the learner engages with it, weighted toward items not yet mastered, and assessments
   whose predicted success lies in the *productive band* (hard enough to teach, likely
   enough to succeed); an assessment predicted below the band, and any lab, waits until
   each of its concepts has been taught (a lecture on it is done). A lesson whose concepts the model
   predicts mastered (p(correct) at least ``KNOWN`` on their questions) is deferred to
   the end, but only on the learner's own evidence (they were graded on a question about
   each of its concepts): for someone new the prediction is the population's prior.

When the model predicts a high risk of disengaging, short activities come first.

Only the courses the learner is enrolled in are considered, and steps within reach (the
current course, current or next week: ``recommender.pedagogy``) rank before the rest.
Reasons are built from the item's own facts (its week, its concepts, the learner's
results). Whatever this returns still goes through ``recommender.pedagogy.enforce``.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

from course_content.rules import PASS_MARK, video_complete

PRODUCTIVE_BAND = (0.55, 0.9)
HIGH_RISK = 0.5
SHORT_MINUTES = 8
KNOWN = 0.8  # mean predicted p(correct) on a concept's questions: treated as mastered (a usual pass mark)


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
    pass_mark: float = PASS_MARK
    questions: tuple[tuple[str, tuple[str, ...]], ...] = ()  # (question key, its concepts)
    # Where the item sits, for the pedagogy invariants (recommender.pedagogy):
    course: str = ""  # course slug
    course_number: int = 0  # the course's number in the specialization (1..5)
    week: int = 0  # 1-based week within its course
    enrolled: bool = True  # the learner is enrolled in the item's course
    prerequisites: tuple[str, ...] = ()  # concepts the item's own concepts build on


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
    kind: str = "next"  # remediation | retake | due | practice | ready | resume | next | review
    details: dict = field(default_factory=dict)


def _asked_once(model: ModelOutputs, candidates: list[Candidate]) -> ModelOutputs:
    """The same outputs, with p(correct) computed once for every question of the
    candidates (one model call instead of one per rule and assessment)."""
    keys = [key for c in candidates for key, _ in c.questions]
    known = model.correctness(keys) if keys else {}

    def correctness(asked: list[str]) -> dict[str, float]:
        missing = [k for k in asked if k not in known]
        return {
            **{k: known[k] for k in asked if k in known},
            **(model.correctness(missing) if missing else {}),
        }

    return ModelOutputs(model.next_probability, correctness, model.risk, model.version)


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


def concept_mastery(candidates: list[Candidate], model: ModelOutputs) -> dict[str, float]:
    """Each concept's predicted mastery: the mean predicted p(correct) over the questions
    on it, in every assessment of the candidates (concepts without questions: absent)."""
    keys = {key: concepts or c.concepts for c in candidates for key, concepts in c.questions}
    if not keys:
        return {}
    p = model.correctness(list(keys))
    by_concept: dict[str, list[float]] = {}
    for key, concepts in keys.items():
        for concept in concepts:
            by_concept.setdefault(concept, []).append(p[key])
    return {concept: sum(values) / len(values) for concept, values in by_concept.items()}


def _teacher(candidates: list[Candidate], before: Candidate, concept: str) -> Candidate | None:
    lessons = [c for c in candidates if c.kind in ("video", "reading") and concept in c.concepts]
    earlier = [c for c in lessons if c.order < before.order]
    return (earlier or lessons or [None])[-1] if (earlier or lessons) else None


def _taught(candidates: list[Candidate], before: Candidate, concept: str) -> bool:
    """A lesson on ``concept`` before ``before`` is done (or there is none to do)."""
    lessons = [c for c in candidates if c.kind in ("video", "reading") and concept in c.concepts]
    earlier = [c for c in lessons if c.order < before.order] or lessons
    return not earlier or any(c.state == "done" for c in earlier)


def _answered(candidates: list[Candidate], concept: str) -> bool:
    """The learner has been graded on a question about ``concept``: evidence of their own
    behind a prediction of mastery, rather than the model's prior for someone new."""
    return any(
        c.score is not None and any(concept in (concepts or c.concepts) for _, concepts in c.questions)
        for c in candidates
    )


def _practice(candidates: list[Candidate], concept: str, *, besides: str) -> Candidate | None:
    """The first unlocked lab not done (other than ``besides``) that practises ``concept``."""
    return next(
        (c for c in candidates if c.kind == "lab" and concept in c.concepts and c.slug != besides
         and c.state in ("available", "started")),
        None,
    )  # fmt: skip


def choose(
    candidates: list[Candidate],
    model: ModelOutputs,
    *,
    recent_failure: str | None = None,
    concept_titles: dict[str, str] | None = None,
    limit: int = 3,
    recent_course: str | None = None,
) -> list[Step]:
    """Ranked next steps (at most ``limit``), each with its reason. ``recent_course``: the
    course of the learner's latest activity (for their current course)."""
    from .pedagogy import LearnerState

    candidates = [c for c in candidates if c.enrolled]
    state = LearnerState(candidates, recent_course=recent_course, concept_titles=concept_titles or {})

    def in_reach(c: Candidate) -> bool:
        return c.course == state.current_course and c.week <= state.frontier + 1

    model = _asked_once(model, candidates)
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
    if failed is not None and not failed.passed and failed.course == state.current_course:
        weak = weakest_concept(failed, model)
        if weak is not None:
            concept, p = weak
            teacher = _teacher(candidates, failed, concept)
            name = titles.get(concept, concept)
            practice = _practice(candidates, concept, besides=failed.slug)
            if practice is not None and not in_reach(practice):
                practice = None
            if teacher is not None and (teacher.state == "locked" or teacher.week > state.frontier):
                teacher = None  # a lesson the learner cannot follow yet, or one ahead, is no remedy
            if teacher is not None and teacher.state == "done" and practice is not None:
                add(Step(practice.slug, f"Your last attempt at “{failed.title}” fell short on {name}, and you "
                         f"have seen its lecture: practise it in this lab first.", 100.0, "remediation",
                         {"concept": concept}))  # fmt: skip
            if teacher is not None:
                expected = "" if p != p else f" (predicted {p:.0%} on its questions)"
                add(Step(teacher.slug, f"Your last attempt at “{failed.title}” fell short; {name} is where the "
                         f"model expects most trouble{expected}. Review this first.", 100.0, "remediation",
                         {"concept": concept}))  # fmt: skip
        add(Step(failed.slug, f"Then try “{failed.title}” again (best so far {round(100 * (failed.score or 0))}%, "
                 f"pass mark {round(100 * failed.pass_mark)}%).", 95.0, "retake"))  # fmt: skip

    open_items = [c for c in candidates if c.state != "done" and c.state != "locked"]
    short_first = model.risk >= HIGH_RISK

    # 1b. A course not begun starts at its beginning, whatever other learners opened first.
    this_course = [c for c in candidates if c.course == state.current_course]
    if this_course and all(c.state in ("available", "locked") and c.coverage == 0 for c in this_course):
        first = min((c for c in this_course if c.state == "available"), key=lambda c: c.order, default=None)
        if first is not None:
            add(
                Step(
                    first.slug,
                    f"The course begins here: the first {first.kind} of {first.where}.",
                    90.0,
                    "next",
                )
            )

    # 2. Due work of the current course, when in reach and its lessons are done.
    due = (c for c in open_items if c.due and not c.passed and c.course == state.current_course
           and all(_taught(candidates, c, concept) for concept in c.concepts))  # fmt: skip
    for c in sorted(due, key=lambda c: c.order):
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

    # 3. Practice once unlocked and taught, within reach (not for a learner at risk: a long
    # lab is what they would skip).
    if not short_first:
        for c in sorted(
            (c for c in open_items if c.kind == "lab" and not c.questions and in_reach(c)
             and all(_taught(candidates, c, concept) for concept in c.concepts)),
            key=lambda c: c.order,
        ):  # fmt: skip
            topics = ", ".join(titles.get(x, x) for x in c.concepts[:2])
            add(Step(c.slug, f"Practice beats watching: you have done the lessons on {topics or 'this'} in "
                     f"{c.where}, so try this lab now.", 75.0 - c.order * 1e-3, "practice"))  # fmt: skip

    # 4. An assessment the learner is predicted to pass, once each of its topics was taught:
    # take it now rather than after more lectures (never a test before any lesson).
    for c in sorted(
        (c for c in open_items if c.graded and c.questions and not c.passed and in_reach(c)
         and all(_taught(candidates, c, concept) for concept in c.concepts)),
        key=lambda c: c.order,
    ):  # fmt: skip
        p = predicted_success(c, model)
        if p is not None and p >= c.pass_mark:
            add(Step(c.slug, f"Predicted success {p:.0%}, above the pass mark ({round(100 * c.pass_mark)}%): "
                     "you are ready, take it now.", 72.0 - c.order * 1e-3, "ready"))  # fmt: skip

    # 5. Resume a half-watched video (of the current course, within reach).
    started = [c for c in open_items if c.kind == "video" and 0.05 <= c.coverage and in_reach(c)]
    for c in sorted((c for c in started if not video_complete(c.coverage)), key=lambda c: c.order):
        add(Step(c.slug, f"You have watched {round(100 * c.coverage)}% of this video; pick up where you left off.",
                 70.0 - c.order * 1e-3, "resume"))  # fmt: skip

    # 6. The next step the model expects, weighted toward what helps.
    mastery = concept_mastery(candidates, model)
    scored = []
    for c in open_items:
        p_next = model.next_probability.get(c.slug, 0.0)
        score = p_next + 0.02 / (1 + c.order)  # ties: earlier in the syllabus
        reason = None
        known = [mastery[x] for x in c.concepts if x in mastery]
        if (
            c.kind in ("video", "reading")
            and c.concepts
            and len(known) == len(c.concepts)
            and min(known) >= KNOWN
            and all(_answered(candidates, x) for x in c.concepts)
        ):
            score *= 0.1
            reason = f"Predicted {min(known):.0%} or better on its topics: a quick refresher, once the rest is done."
        elif c.kind == "lab" and not c.questions and not all(_taught(candidates, c, x) for x in c.concepts):
            continue  # a lab waits for the lessons on its concepts (they are candidates of their own)
        elif c.kind in ("quiz", "lab") and c.questions:
            p = predicted_success(c, model)
            low, high = PRODUCTIVE_BAND
            if p is not None and p < low:
                if not all(_taught(candidates, c, concept) for concept in c.concepts):
                    continue  # its lessons come first; they are candidates of their own
                score *= 0.5
                reason = (
                    f"Predicted success {p:.0%}: a stretch, but every topic it builds on has been taught."
                )
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
    for score, c, reason in sorted(scored, key=lambda t: (not in_reach(t[1]), -t[0], t[1].order)):
        add(Step(c.slug, reason, float(score), "next"))
        if len(steps) >= limit + 2:
            break
    return steps[:limit]
