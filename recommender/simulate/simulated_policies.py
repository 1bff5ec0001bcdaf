"""Recommendation policies the simulator can evaluate. A policy sees what the platform
sees of a learner (``LearnerView``: progress and history, never latent mastery) and
names one next activity, or None to leave the choice to the learner. Every policy here
ranks steps and its ranking goes through the pedagogy checker (``Checked``), as the
platform's do, so what is evaluated in simulation is what learners get."""

from __future__ import annotations

import logging
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from course_content import rules
from recommender.simulate.records import LearnerRun, LearnerView

from .curriculum import Curriculum


def _open(view: LearnerView, slug: str) -> bool:
    row = view.progress.get(slug)
    return row is None or row.completed is None


class Checked:
    """A policy whose ranked steps go through the pedagogy checker
    (``recommender.pedagogy.enforce``) before the learner sees the first: subclasses rank
    (``rank``), this class checks, replaces what violates an invariant, and names the
    first valid step. ``audit`` and ``enroll_all`` are set by the invariant suite
    (``recommender.pedagogy.invariant_suite``): ``audit(state, steps)`` sees each fresh
    ranking before replacement; ``enroll_all(view)`` treats a learner as enrolled in every
    course of the curriculum."""

    name = ""
    audit: Callable | None = None
    enroll_all: Callable | None = None
    replaced: Counter | None = None  # rule -> violations replaced so far (see ``choose``)

    def rank(self, view: LearnerView, state) -> list:
        raise NotImplementedError

    def choose(self, view: LearnerView) -> str | None:
        from recommender.pedagogy import enforce

        state, _ = learner_state(view, enroll_all=bool(self.enroll_all and self.enroll_all(view)))
        steps = self.rank(view, state)
        enforced = enforce(state, steps, limit=1, policy=self.name, level=logging.DEBUG)
        if enforced.violations:
            self.replaced = self.replaced if self.replaced is not None else Counter()
            self.replaced.update(v.rule for v in enforced.violations)
        return enforced.steps[0].slug if enforced.steps else None

    def _audited(self, state, steps: list) -> list:
        if self.audit is not None:
            self.audit(state, steps)
        return steps


def _steps(view: LearnerView, state, slugs: Iterable[str], lead: str = "", limit: int = 20) -> list:
    """Steps for ranked slugs (what is done dropped), each with a reason from its own
    facts; a slug outside the learner's courses stays, for the checker to flag."""
    from recommender.next_step import Step
    from recommender.pedagogy import own_reason

    out = []
    for slug in slugs:
        c = state.by_slug.get(slug)
        if c is None and slug in view.curriculum.index and _open(view, slug):
            out.append(Step(slug, f"{lead or 'Next'}.", 0.0))
        elif c is not None and c.state != "done":
            out.append(Step(slug, own_reason(c, lead=lead), 0.0))
        if len(out) == limit:
            break
    return out


class Syllabus(Checked):
    """The first open activity in course order: the current course first (the courses
    by number, then week order)."""

    name = "syllabus"

    def rank(self, view: LearnerView, state) -> list:
        from recommender.pedagogy import syllabus_steps

        return self._audited(state, syllabus_steps(state)[:20])


class MostPopular(Checked):
    """First-order Markov: what learners most often open after the activity this learner
    opened last (counted on a reference cohort), skipping what is done."""

    name = "most-popular"

    def __init__(self, runs: Iterable[LearnerRun]):
        self.next: dict[str | None, Counter] = defaultdict(Counter)
        for run in runs:
            previous = None
            for event in run.events:
                if event["verb"] != "navigation.page_viewed":
                    continue
                if event["activity"] != previous:
                    self.next[previous][event["activity"]] += 1
                    previous = event["activity"]
        self.overall = Counter()
        for counts in self.next.values():
            self.overall.update(counts)
        self._ranked = {key: [slug for slug, _ in counts.most_common()] for key, counts in self.next.items()}
        self._overall = [slug for slug, _ in self.overall.most_common()]

    def rank(self, view: LearnerView, state) -> list:
        last = next(
            (e["activity"] for e in reversed(view.events) if e["verb"] == "navigation.page_viewed"), None
        )
        slugs = dict.fromkeys([*self._ranked.get(last, ()), *self._overall])
        return self._audited(state, _steps(view, state, slugs, lead="Often opened next"))


class Scored(Checked):
    """Any ranking function as a policy: its best-ranked steps, checked."""

    def __init__(self, name: str, rank: Callable[[LearnerView], list[str]]):
        self.name, self.ranking = name, rank

    def rank(self, view: LearnerView, state) -> list:
        return self._audited(state, _steps(view, state, self.ranking(view)))


class Guarded(Checked):
    """Any other policy (one ``choose``), its choice checked like every other ranking."""

    def __init__(self, policy):
        self.policy, self.name = policy, getattr(policy, "name", type(policy).__name__)

    def rank(self, view: LearnerView, state) -> list:
        slug = self.policy.choose(view)
        return self._audited(state, _steps(view, state, [slug] if slug else []))


def checked(policy):
    """``policy`` with its output going through the pedagogy checker (None stays None:
    learners on their own)."""
    return policy if policy is None or isinstance(policy, Checked) else Guarded(policy)


class ModelPolicy(Checked):
    """The platform's model-based policy (``recommender.next_step.choose`` over the trained
    recommender's outputs) applied to a simulated learner. The model is asked once per
    study session, as the home page would be; within a session the learner works down
    that ranking (what they have done since is dropped, as the home page recomputes)."""

    def __init__(self, recommender, curriculum, name: str = "model", history: int = 200):
        self.recommender, self.curriculum, self.name, self.history = recommender, curriculum, name, history
        self._cache: dict[tuple[int, str, bool], list] = {}

    def rank(self, view: LearnerView, state) -> list:
        key = (view.learner, view.session, bool(self.enroll_all and self.enroll_all(view)))
        if key not in self._cache:  # one learner-session at a time
            self._cache = {key: self._audited(state, self._rank(view, state))}
        return [s for s in self._cache[key] if _open(view, s.slug)]

    def _rank(self, view: LearnerView, state) -> list:
        from recommender.next_step import ModelOutputs, choose
        from recommender.simulate.records import events_frame

        events = view.events[-self.history :]
        frame = events_frame([_Events(view.learner, events)])
        prediction = self.recommender.predict(frame, top_k=10_000)
        outputs = ModelOutputs(dict(prediction.next_activities), prediction.correctness_many, prediction.risk)
        return choose(list(state.candidates), outputs, recent_failure=state.failure, limit=10,
                      recent_course=state.recent_course)  # fmt: skip


class _Events:
    def __init__(self, index: int, events: list[dict]):
        self.index, self.events = index, events


_STATIC: dict[int, tuple] = {}  # id(curriculum) -> (curriculum, per-item facts that never change)


def _static(c: Curriculum) -> list[tuple]:
    """Per item of the curriculum: (order, item, prerequisite concepts, course number),
    computed once per curriculum (the checker asks for a learner's state at every step)."""
    found = _STATIC.get(id(c))
    if found is not None and found[0] is c:
        return found[1]
    taught_before: dict[str, int] = {}
    for order, item in enumerate(c.items):
        for concept in item.concepts:
            taught_before.setdefault(concept, order)
    numbers = {course: n for n, course in enumerate(c.courses, start=1)}
    rows = []
    for order, item in enumerate(c.items):
        needed = {r for concept in item.concepts for r in c.requires.get(concept, ())} - set(item.concepts)
        earlier = tuple(sorted(r for r in needed if taught_before.get(r, order) < order))
        rows.append((order, item, tuple(sorted(needed)), earlier, numbers[item.course]))
    _STATIC[id(c)] = (c, rows)
    return rows


def enrolled_courses(view: LearnerView) -> set[str]:
    """The courses a simulated learner enrolled in: the first (their first event) and
    every course they opened an activity of (a learner enrolls when they first open one)."""
    c = view.curriculum
    out = {c.item(slug).course for slug in view.progress if slug in c.index}
    first = view.events[0] if view.events else None
    if first is not None and first["verb"] == "enrollment.activated" and first.get("course"):
        out.add(first["course"])
    return out


def _candidates(view: LearnerView, *, courses: set[str] | None = None):
    """The policy's candidates for a simulated learner (the items of ``courses``, by
    default the courses they are enrolled in), and their latest failed graded item."""
    from recommender.next_step import Candidate

    c = view.curriculum
    courses = enrolled_courses(view) if courses is None else courses
    met = {
        concept for slug, row in view.progress.items() if row.completed for concept in c.item(slug).concepts
    }
    # Soft deadlines as the simulated learners meet them: week w is due 7 * w days after
    # enrollment (the platform's candidates carry its session deadlines the same way).
    enrolled = next((e["time"] for e in view.events if e["verb"] == "enrollment.activated"), view.now)
    weeks_due = (view.now - enrolled).days // 7
    out, failure, failure_at = [], None, None
    for order, item, prerequisites, earlier, number in _static(c):
        if item.course not in courses:
            continue
        row = view.progress.get(item.slug)
        locked = any(r not in met for r in earlier)
        state = "done" if row and row.completed else "started" if row else "locked" if locked else "available"
        out.append(Candidate(
            slug=item.slug, kind=item.kind, title=item.slug, where=f"week {item.week}", order=order,
            minutes=item.minutes, concepts=item.concepts, graded=item.graded, state=state,
            score=row.score if row else None, passed=bool(row and row.passed), coverage=row.coverage if row else 0.0,
            due=item.graded and item.week <= weeks_due and not (row and row.passed),
            pass_mark=rules.item_pass_mark(item.kind, item.pass_fraction, c.passing_grade.get(item.course)),
            questions=tuple((f"{item.slug}/{q.key}", q.concepts) for q in item.questions),
            course=item.course, course_number=number, week=item.course_week, prerequisites=prerequisites,
        ))  # fmt: skip
        if item.graded and row is not None and row.score is not None and not row.passed:
            if failure_at is None or row.started > failure_at:
                failure, failure_at = item.slug, row.started
    return out, failure


def learner_state(view: LearnerView, *, enroll_all: bool = False):
    """(``recommender.pedagogy.LearnerState``, latest failed graded item) of a simulated
    learner, as the platform builds it from progress."""
    from recommender.pedagogy import LearnerState

    candidates, failure = _candidates(view, courses=set(view.curriculum.courses) if enroll_all else None)
    recent = next((e.get("course") for e in reversed(view.events) if e.get("activity")), None)
    return LearnerState(candidates, recent_course=recent, failure=failure), failure


def model_policy(model_dir, curriculum) -> ModelPolicy:
    from recommender.artifact import Recommender

    return ModelPolicy(Recommender.load(model_dir, threads=1), curriculum)
