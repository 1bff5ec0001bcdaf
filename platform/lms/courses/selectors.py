"""Read-side queries for the catalog."""

import time as _time
from dataclasses import dataclass

from django.db.models import Count, Q, QuerySet

from .models import Activity, Course


def course_catalog() -> QuerySet[Course]:
    """The courses in specialization order (course number 1-5). The order is explicit:
    Django drops ``Meta.ordering`` from aggregate (GROUP BY) queries, so the annotated
    catalog came back in whatever order the database chose (alphabetical after import)."""
    return Course.objects.annotate(week_count=Count("weeks", filter=Q(weeks__retired=False))).order_by(
        "number", "slug"
    )


def activity_for_learner(*, course_slug: str, activity_slug: str) -> Activity | None:
    return (
        Activity.objects.select_related("course", "week")
        .filter(course__slug=course_slug, slug=activity_slug, retired=False)
        .first()
    )


def is_instructor(*, user, course_id: int) -> bool:
    """Instructors of the course, and staff (site administrators), moderate its
    discussions. Analysts do not: they read dashboards (``lms.accounts.roles``)."""
    if not user.is_authenticated:
        return False
    if user.is_staff:
        return True
    from .models import CourseRole

    return CourseRole.objects.filter(user=user, course_id=course_id, role=CourseRole.Role.INSTRUCTOR).exists()


@dataclass(frozen=True)
class CatalogGraph:
    """The concept graph as plain maps: which concepts each activity covers, what each
    concept requires, where each concept is first taught in the syllabus, and concept
    titles. Read-only between imports."""

    activity_concepts: dict[int, frozenset[int]]
    requires: dict[int, frozenset[int]]
    titles: dict[int, str]
    order: dict[int, tuple]  # activity id -> its place in the specialization's syllabus
    first_taught: dict[int, tuple]  # concept id -> place of the first activity covering it
    slugs: dict[int, str]  # concept id -> slug
    questions: dict[int, tuple]  # quiz id -> ((question key "quiz/question", concept ids), ...)

    def missing(self, activity_id: int, met: set[int]) -> list[int]:
        """Prerequisite concepts of an activity not yet met. Only prerequisites the
        syllabus teaches *before* the activity count: an introduction that mentions a
        concept taught two videos later is not locked behind it."""
        own = self.activity_concepts.get(activity_id, frozenset())
        place = self.order.get(activity_id)
        needed = {r for c in own for r in self.requires.get(c, ())} - own - met
        return sorted(r for r in needed if place is not None and self.first_taught.get(r, place) < place)

    def concepts_of(self, activity_ids) -> set[int]:
        return {c for a in activity_ids for c in self.activity_concepts.get(a, ())}


_GRAPH_TTL = 300.0
_graph: dict = {"at": -_GRAPH_TTL, "value": None}


def catalog_graph() -> CatalogGraph:
    """Cached for five minutes per process (the graph changes only when content is imported;
    ``catalog_graph_forget`` drops it at once in the importing process)."""
    if _graph["value"] is None or _time.monotonic() - _graph["at"] > _GRAPH_TTL:
        from collections import defaultdict

        from .models import Concept

        order = {
            pk: (number, week, position)
            for pk, number, week, position in Activity.objects.filter(retired=False).values_list(
                "pk", "course__number", "week__position", "position"
            )
        }
        covers: dict[int, set[int]] = defaultdict(set)
        first_taught: dict[int, tuple] = {}
        for activity_id, concept_id in Activity.concepts.through.objects.values_list(
            "activity_id", "concept_id"
        ):
            covers[activity_id].add(concept_id)
            if activity_id in order:
                first_taught[concept_id] = min(
                    first_taught.get(concept_id, order[activity_id]), order[activity_id]
                )
        requires: dict[int, set[int]] = defaultdict(set)
        for source, target in Concept.requires.through.objects.values_list(
            "from_concept_id", "to_concept_id"
        ):
            requires[source].add(target)
        from .models import Question

        question_concepts: dict[int, list[int]] = defaultdict(list)
        for question_id, concept_id in Question.concepts.through.objects.values_list(
            "question_id", "concept_id"
        ):
            question_concepts[question_id].append(concept_id)
        questions: dict[int, list] = defaultdict(list)
        for pk, quiz_id, quiz, slug in (
            Question.objects.filter(retired=False)
            .order_by("position")
            .values_list("pk", "activity_id", "activity__slug", "slug")
        ):
            questions[quiz_id].append((f"{quiz}/{slug}", tuple(question_concepts.get(pk, ()))))
        concepts = list(Concept.objects.values_list("id", "title", "slug"))
        _graph["value"] = CatalogGraph(
            activity_concepts={k: frozenset(v) for k, v in covers.items()},
            requires={k: frozenset(v) for k, v in requires.items()},
            titles={pk: title for pk, title, _ in concepts},
            order=order,
            first_taught=first_taught,
            slugs={pk: slug for pk, _, slug in concepts},
            questions={k: tuple(v) for k, v in questions.items()},
        )
        _graph["at"] = _time.monotonic()
    return _graph["value"]


def catalog_graph_forget() -> None:
    _graph["value"] = None


@dataclass(frozen=True)
class Neighbour:
    """An activity next to the one shown, in syllabus order."""

    slug: str
    title: str
    kind: str
    week_title: str
    other_week: bool  # across a week boundary from the activity shown


def activity_neighbours(*, activity: Activity) -> tuple[Neighbour | None, Neighbour | None]:
    """(previous, next) of ``activity`` in its course's syllabus order (weeks, then
    positions; retired ones skipped), across week boundaries: one small query."""
    rows = list(
        Activity.objects.filter(course_id=activity.course_id, retired=False, week__retired=False)
        .order_by("week__position", "position", "pk")
        .values_list("pk", "slug", "title", "kind", "week_id", "week__title")
    )
    index = next((i for i, row in enumerate(rows) if row[0] == activity.pk), None)
    if index is None:
        return None, None

    def neighbour(i: int) -> Neighbour | None:
        if not 0 <= i < len(rows):
            return None
        _, slug, title, kind, week_id, week_title = rows[i]
        return Neighbour(slug, title, kind, week_title, week_id != activity.week_id)

    return neighbour(index - 1), neighbour(index + 1)
