"""Pedagogy invariants: what every policy's next steps must respect, written once.

A policy (syllabus order, the rules, the model, most-popular, any experiment arm) ranks
steps; before a learner sees them they go through :func:`enforce`, which checks each
against the learner's state (:class:`LearnerState`, built from ``Candidate`` rows), logs
every violation and replaces the step by the next valid one (from the policy's longer
list, then from the syllabus order of the learner's current course). For the top step and
every alternative:

- **enrolled**: the step is in a course the learner is enrolled in;
- **unlocked**: never a soft-locked item (a concept it builds on is not covered). The one
  exception: when *nothing* open in the learner's courses is unlocked (someone who
  enrolled in course 3 without courses 1-2), the first open item of the current course is
  offered with kind ``prerequisites`` and a reason naming what it builds on;
- **not done**: never a completed item, unless review is the stated reason (kind
  ``review``, or ``remediation``: a lesson to review after a failed assessment);
- **no duplicates**;
- **a reason about the step**: the reason names no concept outside the item's own
  concepts and their prerequisites (activity titles in quotes, the item's title and its
  week's title are not read as claims about concepts).

And for the top step only:

- **current course**: the learner's current course is where they are working: their most
  recent activity's course when it is enrolled and not completed, else the lowest-numbered
  enrolled course not completed (completed: every graded item passed);
- **current or next week**: the step's week is at most one past the learner's frontier in
  that course (the furthest week they have opened anything in, or the first week with work
  left, whichever is later), unless it is due work (``due``, past its soft deadline), the
  retake of a failed item (``retake``), or a review or remediation of an earlier item.
  When nothing in the current course is open and unlocked within that window, the top
  step obeys the per-step rules only.

Pure code over plain data (no Django, no torch): the platform and the simulator build the
same ``Candidate`` rows, so what is checked in simulation is what learners get.
``invariant_suite`` runs a trained model's policy over a fresh simulated cohort and
reports every violation (the promotion gate calls it).
"""

from __future__ import annotations

import logging
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path

from .next_step import Candidate, Step

log = logging.getLogger(__name__)

REVIEW_KINDS = ("review", "remediation")  # the kinds that may offer a completed item
PREREQUISITES = "prerequisites"  # kind of the one locked step allowed (see the module docstring)
RULES = {
    "unknown": "the step is not an activity of the learner's courses",
    "not-enrolled": "the step is in a course the learner is not enrolled in",
    "locked": "the step is soft-locked: a concept it builds on is not covered",
    "done": "the step is completed and review is not its stated reason",
    "duplicate": "the step is offered twice",
    "foreign-concept": "the reason names a concept outside the item and its prerequisites",
    "not-current-course": "the top step is outside the learner's current course",
    "too-far-ahead": "the top step is beyond the current or next week",
}
_MIN_NAME = 4  # concept names shorter than this are not searched for in reasons


@dataclass(frozen=True)
class Violation:
    slug: str
    rule: str  # a key of RULES
    detail: str
    position: int  # 0: the top step; n: the n-th alternative

    def __str__(self) -> str:
        where = "top step" if self.position == 0 else f"alternative {self.position}"
        return f"{self.rule}: {self.slug} ({where}): {self.detail}"


def course_completed(items: Iterable[Candidate]) -> bool:
    """Every graded item passed (a course without graded items: every item done)."""
    items = list(items)
    graded = [c for c in items if c.graded]
    return all(c.passed for c in graded) if graded else all(c.state == "done" for c in items)


def _open(c: Candidate) -> bool:
    return c.state != "done"


@dataclass
class LearnerState:
    """A learner's candidates (every activity of the courses the policy may see, with
    ``enrolled`` set), the course of their most recent activity, concept titles (for
    reading reasons) and their latest failure. The current course and week are derived
    once, here."""

    candidates: Sequence[Candidate]
    recent_course: str | None = None
    concept_titles: Mapping[str, str] = field(default_factory=dict)
    failure: str | None = None  # the latest graded item failed and not passed since
    by_slug: dict[str, Candidate] = field(init=False, repr=False)
    current_course: str | None = field(init=False)
    frontier: int = field(init=False)  # the current week of the current course
    top_reachable: bool = field(init=False)  # something in the current course satisfies the top rules
    only_locked_left: bool = field(init=False)  # nothing open in enrolled courses is unlocked
    _concept_names: dict | None = field(default=None, init=False, repr=False)

    def __post_init__(self) -> None:
        self.by_slug = {c.slug: c for c in self.candidates}
        enrolled: dict[str, list[Candidate]] = {}
        numbers: dict[str, int] = {}
        for c in self.candidates:
            if c.enrolled:
                enrolled.setdefault(c.course, []).append(c)
                numbers[c.course] = c.course_number
        courses = sorted(enrolled, key=lambda course: (numbers[course], course))
        unfinished = [course for course in courses if not course_completed(enrolled[course])]
        with_work = [course for course in courses if any(_open(c) for c in enrolled[course])]
        if self.recent_course in unfinished:
            self.current_course = self.recent_course
        else:
            self.current_course = (unfinished or with_work or [None])[0]
        mine = enrolled.get(self.current_course, [])
        first_open = min((c.week for c in mine if _open(c)), default=0)
        reached = max((c.week for c in mine if c.state in ("done", "started")), default=0)
        self.frontier = max(first_open, reached)
        self.top_reachable = any(
            _open(c) and c.state != "locked" and c.week <= self.frontier + 1 for c in mine
        )
        open_items = [c for items in enrolled.values() for c in items if _open(c)]
        self.only_locked_left = bool(open_items) and all(c.state == "locked" for c in open_items)

    @property
    def courses(self) -> list[str]:
        """Enrolled courses, the current one first, then by course number."""
        numbers = {c.course: c.course_number for c in self.candidates if c.enrolled}
        return sorted(numbers, key=lambda course: (course != self.current_course, numbers[course], course))


# -- reasons -----------------------------------------------------------------------------


def own_reason(c: Candidate, titles: Mapping[str, str] | None = None, *, lead: str = "") -> str:
    """A reason built from the item's own facts: its week, its concepts, the learner's
    own progress on it."""
    topics = ", ".join((titles or {}).get(x, x) for x in c.concepts[:2])
    if not lead:
        if c.state == "started" and c.kind == "video" and c.coverage > 0:
            lead = f"You have watched {round(100 * c.coverage)}% of this video in {c.where}"
        elif c.state == "started":
            lead = f"You opened this in {c.where} and have not finished it"
        else:
            lead = f"Next in {c.where}"
    return lead + (f": covers {topics}." if topics else ".")


@lru_cache(maxsize=32)
def _pattern(names: tuple[str, ...]) -> re.Pattern | None:
    """One regex over every concept name, longest first (so "logistic regression cost"
    is read as itself, not as "logistic regression")."""
    if not names:
        return None
    alternatives = "|".join(re.escape(n) for n in sorted(names, key=lambda n: (-len(n), n)))
    return re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])", re.IGNORECASE)


_QUOTED = re.compile(r"“[^”]*”|\"[^\"]*\"")


def foreign_concepts(state: LearnerState, c: Candidate, reason: str) -> list[str]:
    """Concepts the reason names that are neither the item's nor its prerequisites'."""
    names = _names(state)
    pattern = _pattern(tuple(names))
    if pattern is None or not reason:
        return []
    text = _QUOTED.sub(" ", reason)
    for own in (c.title, c.where):
        if own and len(own) >= _MIN_NAME:
            text = re.sub(re.escape(own), " ", text, flags=re.IGNORECASE)
    allowed = set(c.concepts) | set(c.prerequisites) | {x for _, concepts in c.questions for x in concepts}
    found = []
    for match in pattern.finditer(text):
        concepts = names[match.group(0).lower()]
        if not concepts & allowed:
            found.append(match.group(0))
    return found


def _names(state: LearnerState) -> dict[str, set[str]]:
    """Concept name (slug or title, lower case) -> the concepts it names."""
    if state._concept_names is not None:
        return state._concept_names
    concepts = {x for c in state.candidates for x in (*c.concepts, *c.prerequisites)}
    concepts |= set(state.concept_titles)
    names: dict[str, set[str]] = {}
    for concept in concepts:
        for name in (concept, state.concept_titles.get(concept, "")):
            if len(name) >= _MIN_NAME:
                names.setdefault(name.lower(), set()).add(concept)
    state._concept_names = names
    return names


# -- the checker -------------------------------------------------------------------------


def _step_violations(state: LearnerState, step: Step, position: int, seen: set[str]) -> list[Violation]:
    """The per-step rules (every step, top or alternative)."""
    c = state.by_slug.get(step.slug)
    if c is None:
        return [Violation(step.slug, "unknown", RULES["unknown"], position)]
    out = []

    def flag(rule: str, detail: str = "") -> None:
        out.append(Violation(step.slug, rule, detail or RULES[rule], position))

    if not c.enrolled:
        flag("not-enrolled", f"course {c.course_number} ({c.course}) is not one of the learner's")
    if c.state == "locked" and not (step.kind == PREREQUISITES and state.only_locked_left):
        flag("locked")
    if c.state == "done" and step.kind not in REVIEW_KINDS:
        flag("done", f"completed, offered as {step.kind!r}")
    if step.slug in seen:
        flag("duplicate")
    foreign = foreign_concepts(state, c, step.reason)
    if foreign:
        flag("foreign-concept", f"the reason names {', '.join(sorted(set(foreign)))}: {step.reason!r}")
    return out


def _off_schedule(state: LearnerState, c: Candidate, step: Step) -> bool:
    """Due work, a retake, or a review/remediation of an earlier item: exempt from the
    current-or-next-week rule."""
    if step.kind == "due":
        return c.due
    if step.kind == "retake":
        return c.score is not None and not c.passed
    if step.kind in REVIEW_KINDS:
        return c.week <= state.frontier
    return False


def _top_violations(state: LearnerState, step: Step) -> list[Violation]:
    c = state.by_slug.get(step.slug)
    if c is None or not state.top_reachable or state.current_course is None:
        return []
    if c.course != state.current_course:
        return [Violation(step.slug, "not-current-course",
                          f"in {c.course} (course {c.course_number}); the learner works in {state.current_course}",
                          0)]  # fmt: skip
    if c.week > state.frontier + 1 and not _off_schedule(state, c, step):
        return [Violation(step.slug, "too-far-ahead",
                          f"week {c.week} of {c.course}; the learner is in week {state.frontier}", 0)]  # fmt: skip
    return []


def check(state: LearnerState, steps: Sequence[Step]) -> list[Violation]:
    """Every violation in ``steps`` as shown (the first is the top step)."""
    out: list[Violation] = []
    seen: set[str] = set()
    for position, step in enumerate(steps):
        out += _step_violations(state, step, position, seen)
        if position == 0:
            out += _top_violations(state, step)
        seen.add(step.slug)
    return out


def syllabus_steps(state: LearnerState) -> list[Step]:
    """Open, unlocked items of the enrolled courses in syllabus order, the current course
    first (then by course number), each with a reason from its own facts. When nothing
    open is unlocked, the first open item of the current course (kind ``prerequisites``)."""
    by_course: dict[str, list[Candidate]] = {}
    for c in state.candidates:
        if c.enrolled:
            by_course.setdefault(c.course, []).append(c)
    out = []
    for course in state.courses:
        for c in sorted(by_course[course], key=lambda c: c.order):
            if _open(c) and c.state != "locked":
                kind = "resume" if c.state == "started" else "next"
                out.append(Step(c.slug, own_reason(c, state.concept_titles), 0.0, kind))
    if not out and state.only_locked_left and state.current_course is not None:
        first = min((c for c in by_course[state.current_course] if _open(c)), key=lambda c: c.order)
        needs = ", ".join(state.concept_titles.get(x, x) for x in first.prerequisites[:3])
        out.append(Step(first.slug, f"Everything left here builds on {needs or 'earlier concepts'}, not "
                        "covered on Cairn yet; start here if you know them already.", 0.0, PREREQUISITES))  # fmt: skip
    return out


@dataclass
class Enforced:
    steps: list[Step]  # what the learner is shown: the top step first
    violations: list[Violation]  # in the policy's output, before replacement


def enforce(
    state: LearnerState,
    steps: Sequence[Step],
    *,
    limit: int = 3,
    policy: str = "",
    level: int = logging.WARNING,
) -> Enforced:
    """The valid steps among ``steps`` (a policy's ranked list, longer than ``limit`` when
    it can be), the top step satisfying the top-step rules, filled from the syllabus order
    of the current course; every violation in what the policy would have shown (its first
    ``limit`` steps) is logged (at ``level``: the simulator, which asks thousands of
    times, logs at DEBUG and counts them instead)."""
    violations = check(state, steps[:limit])
    for v in violations:
        log.log(level, "pedagogy: %s%s replaced", f"{policy}: " if policy else "", v)
    kept: list[Step] = []
    seen: set[str] = set()
    top: Step | None = None
    for step in steps:  # until ``limit`` valid steps, one of them fit to be on top
        if not _step_violations(state, step, 1, seen):
            kept.append(step)
            seen.add(step.slug)
            if top is None and not _top_violations(state, step):
                top = step
            if top is not None and len(kept) >= limit:
                break
    if top is None or len(kept) < limit:
        fill = [s for s in syllabus_steps(state) if s.slug not in seen]
        kept += fill
        top = top or next((s for s in fill if not _top_violations(state, s)), None)
    if top is None:
        return Enforced([], violations)
    rest = [s for s in kept if s.slug != top.slug]
    return Enforced([top, *rest[: limit - 1]], violations)


# -- the invariant suite (for the promotion gate) ----------------------------------------


@dataclass
class InvariantReport:
    passed: bool
    checked: int  # policy outputs checked (one per simulated learner-session)
    violations: list[str]  # each as "rule: slug (position): detail", at most 50 kept
    summary: str  # one line, for the registry page and ``manage.py models``
    counts: dict[str, int] = field(default_factory=dict)  # rule -> violations


CONTENT = Path(__file__).resolve().parents[1] / "course_content"


def invariant_suite(
    model_dir: str | Path,
    *,
    learners: int = 16,
    seed: int = 0,
    days: int = 21,
    curriculum=None,
    limit: int = 3,
) -> InvariantReport:
    """Simulate a fresh cohort of ``learners`` (``seed``) on ``curriculum`` (default: the
    whole specialization in ``course_content``) whose learners follow the model's policy
    (compliance 0.7); every ranking the policy computes (one per learner-session, as the
    home page would show) is checked before replacement. Every other learner is treated
    as enrolled in every course (as the demo student was), so the course rules are
    tested where they can fail. Passed when nothing was violated."""
    from .simulate import Curriculum, simulate_cohort
    from .simulate.simulated_policies import model_policy

    if curriculum is None:
        curriculum = Curriculum.load(CONTENT, with_labs=False)
    policy = model_policy(model_dir, curriculum)
    return _audit(policy, curriculum, learners=learners, seed=seed, days=days, limit=limit,
                  simulate=simulate_cohort)  # fmt: skip


def audit_policy(policy, curriculum, *, learners: int = 16, seed: int = 0, days: int = 21, limit: int = 3):
    """``invariant_suite`` for any simulator policy with a ``rank`` (syllabus, most-popular, ...)."""
    from .simulate import simulate_cohort

    return _audit(policy, curriculum, learners=learners, seed=seed, days=days, limit=limit,
                  simulate=simulate_cohort)  # fmt: skip


def _audit(policy, curriculum, *, learners, seed, days, limit, simulate) -> InvariantReport:
    import datetime as dt

    found: list[Violation] = []
    checked = 0

    def audit(state: LearnerState, steps: list[Step]) -> None:
        nonlocal checked
        checked += 1
        found.extend(check(state, steps[:limit]))

    policy.audit = audit
    policy.enroll_all = lambda view: view.learner % 2 == 1
    start = dt.datetime(2026, 1, 5, tzinfo=dt.UTC)
    try:
        for _ in simulate(curriculum, learners=learners, days=days, seed=seed, start=start, policy=policy,
                          compliance=0.7):  # fmt: skip
            pass
    finally:
        policy.audit, policy.enroll_all = None, None
    counts: dict[str, int] = {}
    for v in found:
        counts[v.rule] = counts.get(v.rule, 0) + 1
    passed = checked > 0 and not found
    if passed:
        summary = (
            f"invariants hold: {checked} rankings of {learners} simulated learners checked, no violation"
        )
    elif checked == 0:
        summary = "invariants not checked: the policy was never asked (no simulated learner studied)"
    else:
        rules = ", ".join(f"{n} {rule}" for rule, n in sorted(counts.items(), key=lambda t: -t[1]))
        summary = f"invariants violated in {checked} rankings of {learners} simulated learners: {rules}"
    return InvariantReport(passed, checked, [str(v) for v in found[:50]], summary, counts)
