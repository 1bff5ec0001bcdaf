"""The journey map: a course drawn as a graph (weeks as columns, activities in syllabus
order down each column, and for each locked activity a link from where its missing
prerequisites are taught), coloured by state, with the path the learner actually took
drawn over it. Geometry only; the template draws the SVG."""

from __future__ import annotations

import re
from dataclasses import dataclass

from lms.courses.selectors import catalog_graph

from .selectors import ActivityState, CourseState

COLUMN, ROW, MARGIN_X, MARGIN_Y = 170, 44, 85, 80
KIND_LETTER = {"video": "V", "reading": "R", "quiz": "Q", "lab": "L"}


@dataclass
class Node:
    item: ActivityState
    x: int
    y: int
    letter: str
    step: int | None  # position on the learner's path (1-based), if visited


@dataclass
class JourneyMap:
    width: int
    height: int
    columns: list[tuple[int, int, str, int]]  # (x, week number, week title, y of its last node)
    nodes: list[Node]
    links: list[tuple[int, int, int, int]]  # prerequisite links: x1, y1, x2, y2
    path: str  # SVG polyline points of the learner's path


def column_title(title: str, number: int) -> str:
    """A week's title under its "Week N" heading, without a "Week N:" of its own (the
    chapters of imported courses are often named so)."""
    return re.sub(rf"^\s*week\s*0*{number}\s*[:.\-\u2013\u2014]\s*", "", title, flags=re.IGNORECASE) or title


def journey_map(state: CourseState) -> JourneyMap:
    graph = catalog_graph()
    nodes: dict[int, Node] = {}
    columns = []
    steps = {item.activity.pk: n for n, item in enumerate(state.path, start=1)}
    for col, week in enumerate(state.weeks):
        x = MARGIN_X + col * COLUMN
        title = column_title(week.week.title, week.week.position)
        columns.append((x, week.week.position, title, MARGIN_Y + max(len(week.items) - 1, 0) * ROW))
        for row, item in enumerate(week.items):
            nodes[item.activity.pk] = Node(
                item,
                x,
                MARGIN_Y + row * ROW,
                KIND_LETTER.get(item.activity.kind, "?"),
                steps.get(item.activity.pk),
            )
    # Why each locked activity is locked: a link from the activity of this course that
    # first covers each missing concept (the grey spine of a column is the week's order).
    teacher: dict[int, int] = {}
    for item in state.items:
        for concept in graph.activity_concepts.get(item.activity.pk, ()):
            teacher.setdefault(concept, item.activity.pk)
    links = set()
    for item in state.items:
        if item.state == "locked":
            for concept in item.missing:
                if concept in teacher:
                    links.add((teacher[concept], item.activity.pk))
    lines = [
        (nodes[a].x, nodes[a].y, nodes[b].x, nodes[b].y)
        for a, b in sorted(links)
        if a in nodes and b in nodes
    ]
    path = " ".join(f"{nodes[i.activity.pk].x},{nodes[i.activity.pk].y}" for i in state.path)
    tallest = max((len(w.items) for w in state.weeks), default=1)
    return JourneyMap(
        width=2 * MARGIN_X + max(len(columns) - 1, 0) * COLUMN,
        height=MARGIN_Y + tallest * ROW,
        columns=columns,
        nodes=list(nodes.values()),
        links=lines,
        path=path,
    )
