"""What the dashboard pages share: the chart colours, time formatting, a course's
activities of one kind in syllabus order, and the two kinds of chart several pages
draw: shares per activity, learners by bin."""

from __future__ import annotations

from analytics.charts import Chart, Series
from lms.courses.models import Activity, Course

ACCENT, BLUE, ORANGE, RED, GREY = "#2f6f4e", "#3b6ea8", "#d98c1f", "#c0392b", "#9aa5b1"


def mmss(seconds: float) -> str:
    """A position in a video: ``m:ss``, or ``h:mm:ss`` from an hour on."""
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}" if seconds >= 3600 else (
        f"{seconds // 60}:{seconds % 60:02d}"
    )  # fmt: skip


def syllabus_activities(course: Course, kind: str) -> list[Activity]:
    """The course's current activities of ``kind``, in syllabus order (weeks loaded)."""
    return list(
        Activity.objects.filter(course=course, kind=kind, retired=False)
        .select_related("week")
        .order_by("week__position", "position")
    )


def learners_by_bin(
    slug: str, title: str, columns: list[str], labels, counts: dict[int, int], description: str, x_title: str
) -> Chart:
    """A bar chart of how many learners fall in each bin: ``labels[i]`` names bin ``i``,
    ``counts`` maps a bin to its learners (missing: none)."""
    return Chart(
        slug,
        title,
        "bar",
        columns,
        [[label, counts.get(index, 0)] for index, label in enumerate(labels)],
        [Series(1, "Learners", color=BLUE)],
        description,
        x_title=x_title,
        y_title="Learners",
    )


def shares_per_activity(
    slug: str, title: str, columns: list[str], rows: list[list], series: list[Series], description: str
) -> Chart:
    """A section's chart: a horizontal bar per activity (``rows[i][0]`` names it) of the
    shares in the ``series`` columns."""
    return Chart(slug, title, "hbar", columns, rows, series, description, percent=True)
