"""The search index: one row per course, per activity, and per passage of a transcript.

Rows are derived (``lms.search.services.search_index_course``, run by every course
import), never edited. On PostgreSQL ``vector`` holds the row's weighted ``tsvector``
(title A, text B; English stemming) behind a GIN index, so a query is an index scan; on
SQLite (``make run``) it stays null and search falls back to matching substrings.
"""

from django.contrib.postgres.search import SearchVectorField
from django.db import models


class SearchEntry(models.Model):
    class Kind(models.TextChoices):
        COURSE = "course"
        ACTIVITY = "activity"
        PASSAGE = "passage"  # a few sentences of a transcript

    kind = models.CharField(max_length=10, choices=Kind.choices)
    course = models.ForeignKey("courses.Course", on_delete=models.CASCADE, related_name="+")
    activity = models.ForeignKey("courses.Activity", null=True, on_delete=models.CASCADE, related_name="+")
    title = models.CharField(max_length=200)
    text = models.TextField(blank=True)
    sentence = models.PositiveIntegerField(null=True)  # passages: index of the first sentence
    vector = SearchVectorField(null=True)

    class Meta:
        indexes = [models.Index(fields=["course", "kind"], name="search_entry_course_kind")]

    def __str__(self) -> str:
        return f"{self.kind}: {self.title}"
