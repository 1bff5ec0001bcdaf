"""Searching the catalog: course titles, activity titles and transcripts.

PostgreSQL: full-text search over the stored ``tsvector`` (``websearch`` syntax: words,
"quoted phrases", -exclusions), ranked, with highlighted excerpts; a query whose words
match nothing as whole words (a prefix such as "convol") falls back to substrings.
SQLite: substrings only (every word must appear).
"""

from __future__ import annotations

import dataclasses
import re

from django.contrib.postgres.search import SearchQuery, SearchRank
from django.db import connection
from django.db.models import F, Q
from django.urls import reverse
from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

from course_content.lecture import sentences
from lms.courses.models import Activity
from lms.lectures.models import LectureRender
from lms.lectures.selectors import lecture_moment_of_sentence

from .models import SearchEntry

MAX_QUERY = 200
LIMIT = 30
_WORDS = re.compile(r"\w[\w'-]*")
_OPEN, _CLOSE = "\x02", "\x03"  # highlight marks that cannot occur in the text


@dataclasses.dataclass
class Hit:
    kind: str  # course | activity | passage
    title: str
    course_title: str
    url: str
    excerpt: SafeString
    moment: int | None = None  # seconds into the video
    activity_kind: str = ""

    @property
    def moment_label(self) -> str:
        return "" if self.moment is None else f"{self.moment // 60}:{self.moment % 60:02d}"


def _excerpt(text: str, words: list[str], width: int = 260) -> SafeString:
    """An escaped window of ``text`` around the first match, the query's words in <mark>
    (matched on their stems' first letters, as full-text search matches "networks" to
    "network"; marks are placed before escaping, so nothing from the text becomes markup)."""
    stems = _stems(words)
    if not stems:
        return mark_safe(escape(text[:width]))  # noqa: S308 - escaped
    pattern = re.compile(r"\b(?:" + "|".join(re.escape(w) for w in stems) + r")\w*", re.IGNORECASE)
    first = pattern.search(text)
    start = max(0, (first.start() if first else 0) - width // 3)
    if start:
        start = text.find(" ", start) + 1 or start
    window = text[start : start + width]
    marked = pattern.sub(lambda m: f"{_OPEN}{m.group(0)}{_CLOSE}", window)
    html = escape(marked).replace(_OPEN, "<mark>").replace(_CLOSE, "</mark>")
    return mark_safe(("…" if start else "") + html + ("…" if start + width < len(text) else ""))  # noqa: S308


def _stems(words: list[str]) -> list[str]:
    return sorted({w[: max(4, len(w) - 2)] for w in words if len(w) > 1}, key=len, reverse=True)


def _first_sentence_matching(passage: str, words: list[str]) -> int:
    """Which sentence of a passage holds the first of the query's words (0 if none does),
    so a result opens the video where that sentence is said."""
    stems = _stems(words)
    for i, sentence in enumerate(sentences(passage)):
        lowered = sentence.lower()
        if any(re.search(r"\b" + re.escape(stem), lowered) for stem in stems):
            return i
    return 0


def _visible():
    return SearchEntry.objects.filter(course__external_source="").filter(
        Q(activity__isnull=True) | Q(activity__retired=False, activity__week__retired=False)
    )


def _full_text(query: str):
    q = SearchQuery(query, search_type="websearch", config="english")
    return (
        _visible().filter(vector=q).annotate(rank=SearchRank(F("vector"), q)).order_by("-rank", "kind", "id")
    )


def _substrings(words: list[str]):
    entries = _visible()
    for word in words:
        entries = entries.filter(
            Q(title__icontains=word) | Q(text__icontains=word) | Q(course__title__icontains=word)
        )
    return entries.order_by("kind", "course__number", "id")


def search(*, query: str) -> list[Hit]:
    """At most ``LIMIT`` hits, best first; one per activity (its title, or its best
    passage with the moment of the video where it is said)."""
    query = " ".join(query.split())[:MAX_QUERY]
    words = _WORDS.findall(query.lower())
    if not words:
        return []
    entries = None
    if connection.vendor == "postgresql":
        entries = list(_full_text(query).select_related("course", "activity")[: LIMIT * 4])
    if not entries:
        entries = list(_substrings(words).select_related("course", "activity")[: LIMIT * 4])
    videos = {e.activity_id for e in entries if e.kind == SearchEntry.Kind.PASSAGE}
    renders = {r.activity_id: r for r in LectureRender.objects.filter(activity_id__in=videos, status="ready")}
    hits, seen = [], set()
    for entry in entries:
        key = (entry.course_id, entry.activity_id)
        if key in seen:
            continue
        seen.add(key)
        text = entry.text
        if entry.kind == SearchEntry.Kind.COURSE:
            url = reverse("course-detail", args=[entry.course.slug])
        else:
            url = reverse("activity-detail", args=[entry.course.slug, entry.activity.slug])
        moment = None
        if entry.kind == SearchEntry.Kind.PASSAGE and entry.activity.kind == Activity.Kind.VIDEO:
            sentence = (entry.sentence or 0) + _first_sentence_matching(entry.text, words)
            moment = lecture_moment_of_sentence(entry.activity, sentence, renders.get(entry.activity_id))
            url += f"?t={moment}"
        hits.append(
            Hit(
                kind=entry.kind,
                title=entry.title,
                course_title=entry.course.title,
                url=url,
                excerpt=_excerpt(text, words),
                moment=moment,
                activity_kind=entry.activity.kind if entry.activity else "",
            )
        )
        if len(hits) == LIMIT:
            break
    return hits
