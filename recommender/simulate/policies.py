"""Recommendation policies the simulator can evaluate. A policy sees what the platform
sees of a learner (``LearnerView``: progress and history, never latent mastery) and
names one next activity, or None to leave the choice to the learner."""

from __future__ import annotations

from collections import Counter, defaultdict
from collections.abc import Callable, Iterable

from .cohort import LearnerRun, LearnerView


def _open(view: LearnerView, slug: str) -> bool:
    row = view.progress.get(slug)
    return row is None or row.completed is None


class Syllabus:
    """The first activity not done, in course order."""

    name = "syllabus"

    def choose(self, view: LearnerView) -> str | None:
        return next((i.slug for i in view.curriculum.items if _open(view, i.slug)), None)


class MostPopular:
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

    def choose(self, view: LearnerView) -> str | None:
        last = next(
            (e["activity"] for e in reversed(view.events) if e["verb"] == "navigation.page_viewed"), None
        )
        for counts in (self.next.get(last, Counter()), self.overall):
            for slug, _ in counts.most_common():
                if slug in view.curriculum.index and _open(view, slug):
                    return slug
        return None


class Scored:
    """Any ranking function as a policy (the model-based policy wraps the trained
    recommender this way): the best-ranked activity that is not done."""

    def __init__(self, name: str, rank: Callable[[LearnerView], list[str]]):
        self.name, self.rank = name, rank

    def choose(self, view: LearnerView) -> str | None:
        return next((s for s in self.rank(view) if s in view.curriculum.index and _open(view, s)), None)


class ModelPolicy:
    """The platform's model-based policy (``recommender.policy.choose`` over the trained
    recommender's outputs) applied to a simulated learner. The model is asked once per
    study session, as the home page would be; within a session the learner works down
    that ranking."""

    def __init__(self, recommender, curriculum, name: str = "model", history: int = 200):
        self.recommender, self.curriculum, self.name, self.history = recommender, curriculum, name, history
        self._cache: dict[tuple[int, str], list[str]] = {}

    def choose(self, view: LearnerView) -> str | None:
        key = (view.learner, view.session)
        if key not in self._cache:
            self._cache = {key: self._rank(view)}  # one learner-session at a time
        return next((s for s in self._cache[key] if _open(view, s)), None)

    def _rank(self, view: LearnerView) -> list[str]:
        from recommender.policy import ModelOutputs, choose

        from .cohort import events_frame

        events = view.events[-self.history :]
        frame = events_frame([_Events(view.learner, events)])
        prediction = self.recommender.predict(frame, top_k=10_000)
        outputs = ModelOutputs(dict(prediction.next_activities), prediction.correctness_many, prediction.risk)
        candidates, failure = _candidates(view)
        return [step.slug for step in choose(candidates, outputs, recent_failure=failure, limit=10)]


class _Events:
    def __init__(self, index: int, events: list[dict]):
        self.index, self.events = index, events


def _candidates(view: LearnerView):
    from recommender.policy import Candidate

    c = view.curriculum
    met = {
        concept for slug, row in view.progress.items() if row.completed for concept in c.item(slug).concepts
    }
    taught_before: dict[str, int] = {}
    for order, item in enumerate(c.items):
        for concept in item.concepts:
            taught_before.setdefault(concept, order)
    # Soft deadlines as the simulated learners meet them: week w is due 7 * w days after
    # enrollment (the platform's candidates carry its session deadlines the same way).
    enrolled = next((e["time"] for e in view.events if e["verb"] == "enrollment.activated"), view.now)
    weeks_due = (view.now - enrolled).days // 7
    out, failure, failure_at = [], None, None
    for order, item in enumerate(c.items):
        row = view.progress.get(item.slug)
        needed = {r for concept in item.concepts for r in c.requires.get(concept, ())} - set(item.concepts)
        locked = any(r not in met and taught_before.get(r, order) < order for r in needed)
        state = "done" if row and row.completed else "started" if row else "locked" if locked else "available"
        out.append(Candidate(
            slug=item.slug, kind=item.kind, title=item.slug, where=f"week {item.week}", order=order,
            minutes=item.minutes, concepts=item.concepts, graded=item.graded, state=state,
            score=row.score if row else None, passed=bool(row and row.passed), coverage=row.coverage if row else 0.0,
            due=item.graded and item.week <= weeks_due and not (row and row.passed),
            pass_mark=item.pass_fraction if item.kind == "quiz" else c.passing_grade.get(item.course, 0.8),
            questions=tuple((f"{item.slug}/{q.key}", q.concepts) for q in item.questions),
        ))  # fmt: skip
        if item.graded and row is not None and row.score is not None and not row.passed:
            if failure_at is None or row.started > failure_at:
                failure, failure_at = item.slug, row.started
    return out, failure


def model_policy(model_dir, curriculum) -> ModelPolicy:
    from recommender.artifact import Recommender

    return ModelPolicy(Recommender.load(model_dir, threads=1), curriculum)
