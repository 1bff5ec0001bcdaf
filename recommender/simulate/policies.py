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
