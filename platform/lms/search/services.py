"""Building the search index of a course (run by ``course_import``; ``search_reindex``
rebuilds every course)."""

from __future__ import annotations

from django.contrib.postgres.search import SearchVector
from django.db import connection, transaction

from course_content.lecture import sentences
from lms.courses.models import Activity, Course

from .models import SearchEntry

PASSAGE_SENTENCES = 2  # a result points at a couple of sentences, not a whole transcript


@transaction.atomic
def search_index_course(*, course: Course) -> int:
    """Replace the course's rows: the course, its live activities, and passages of their
    transcripts (videos and readings). Returns the number of rows."""
    SearchEntry.objects.filter(course=course).delete()
    rows = [SearchEntry(kind=SearchEntry.Kind.COURSE, course=course, title=course.title, text=course.summary)]
    activities = Activity.objects.filter(course=course, retired=False, week__retired=False)
    for activity in activities:
        rows.append(SearchEntry(kind=SearchEntry.Kind.ACTIVITY, course=course, activity=activity,
                                title=activity.title, text=activity.synopsis))  # fmt: skip
        said = (
            sentences(activity.transcript)
            if activity.kind in (Activity.Kind.VIDEO, Activity.Kind.READING)
            else []
        )
        for i in range(0, len(said), PASSAGE_SENTENCES):
            rows.append(SearchEntry(kind=SearchEntry.Kind.PASSAGE, course=course, activity=activity,
                                    title=activity.title, text=" ".join(said[i : i + PASSAGE_SENTENCES]),
                                    sentence=i))  # fmt: skip
    SearchEntry.objects.bulk_create(rows, batch_size=500)
    if connection.vendor == "postgresql":
        SearchEntry.objects.filter(course=course).update(
            vector=SearchVector("title", weight="A", config="english")
            + SearchVector("text", weight="B", config="english")
        )
    return len(rows)


def search_reindex() -> int:
    return sum(search_index_course(course=c) for c in Course.objects.filter(external_source=""))
