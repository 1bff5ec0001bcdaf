"""Search over course titles, activity titles and transcripts: PostgreSQL full-text
search (stemmed, ranked, GIN-indexed) with a substring fallback, results that open a
video at the moment a word is said, and pages that help when nothing is found."""

import pytest
from django.db import connection

from lms.courses.models import Activity
from lms.search.models import SearchEntry
from lms.search.selectors import _substrings, search
from lms.search.services import search_index_course
from tests.factories import ActivityFactory, CourseFactory, WeekFactory

pytestmark = pytest.mark.django_db

TRANSCRIPT = (
    "Welcome to this lecture. We start from the cost function. "
    "Gradient descent updates the weights of the networks step by step. "
    "The learning rate sets the size of each step. Momentum smooths the updates. "
    "Beware of <script>alert(1)</script> in a transcript, which must stay text."
)


@pytest.fixture
def catalog():
    course = CourseFactory(slug="c5", title="Optimization Methods", summary="How networks learn.")
    week = WeekFactory(course=course, slug="c5-w1", position=1)
    video = ActivityFactory(week=week, slug="c5-gd", position=1, title="Gradient Descent",
                            duration_seconds=600, transcript=TRANSCRIPT)  # fmt: skip
    reading = ActivityFactory(week=week, slug="c5-notes", position=2, kind=Activity.Kind.READING,
                              title="Notes on Momentum", transcript="Momentum keeps a running average.")  # fmt: skip
    retired = ActivityFactory(week=week, slug="c5-old", position=3, title="Old Gradient Lecture",
                              transcript="Gradient descent, the old way. Nothing else.", retired=True)  # fmt: skip
    search_index_course(course=course)
    return course, video, reading, retired


def test_the_index_holds_courses_activities_and_passages(catalog) -> None:
    course, video, *_ = catalog
    kinds = list(SearchEntry.objects.filter(course=course).values_list("kind", flat=True))
    assert kinds.count("course") == 1 and kinds.count("activity") == 2  # the retired one is left out
    passages = SearchEntry.objects.filter(activity=video, kind="passage").order_by("sentence")
    assert [p.sentence for p in passages] == [0, 2, 4]
    assert connection.vendor == "postgresql" and all(p.vector for p in passages)
    with connection.cursor() as cursor:
        cursor.execute("SELECT indexdef FROM pg_indexes WHERE indexname = 'search_entry_vector_gin'")
        assert "USING gin (vector)" in cursor.fetchone()[0]


def test_full_text_finds_stems_and_ranks_titles_first(catalog) -> None:
    _, video, reading, _ = catalog
    hits = search(query="momentum")
    assert [h.title for h in hits] == ["Notes on Momentum", "Gradient Descent"]  # title (weight A) first
    assert hits[0].url == "/courses/c5/c5-notes/" and hits[0].moment is None  # a reading: no moment
    network = search(query="network")  # stemmed: the transcript says "networks"
    assert {h.title for h in network} >= {"Gradient Descent", "Optimization Methods"}
    course_hit = next(h for h in network if h.kind == "course")
    assert course_hit.url == "/courses/c5/"


def test_a_transcript_hit_opens_the_video_where_the_word_is_said(catalog) -> None:
    from course_content.lecture import sentences

    hit = search(query="learning rate")[0]
    assert hit.kind == "passage" and hit.title == "Gradient Descent"
    # No lecture made yet: the sentence's place in the transcript times the stated 600 s
    # (the passage holds sentences 2 and 3; the words are in sentence 3).
    said = sentences(TRANSCRIPT)
    assert "learning rate" in said[3]
    assert hit.moment == int(sum(len(s) for s in said[:3]) / sum(len(s) for s in said) * 600)
    assert hit.url == f"/courses/c5/c5-gd/?t={hit.moment}"
    assert hit.moment_label == f"{hit.moment // 60}:{hit.moment % 60:02d}"
    assert "<mark>learning</mark> <mark>rate</mark>" in hit.excerpt


def test_prefixes_fall_back_to_substrings(catalog) -> None:
    assert search(query="momen")[0].title == "Notes on Momentum"  # no whole word: substring match
    # SQLite (make run) always searches this way: every word must appear.
    assert {e.activity.slug for e in _substrings(["gradient", "weights"]) if e.activity} == {"c5-gd"}
    assert not list(_substrings(["gradient", "zebra"]))


def test_retired_and_imported_only_items_are_not_found(catalog) -> None:
    assert all(h.title != "Old Gradient Lecture" for h in search(query="gradient"))
    assert search(query="old way") == []
    external = CourseFactory(slug="edx-course", title="Imported Gradient Course", external_source="edx")
    search_index_course(course=external)
    assert all(h.title != "Imported Gradient Course" for h in search(query="gradient"))


def test_text_from_the_transcript_is_escaped(catalog) -> None:
    hit = search(query="alert")[0]
    assert "&lt;script&gt;" in hit.excerpt and "<script>" not in hit.excerpt


@pytest.mark.parametrize(
    "query", ['"unbalanced', "-", "&|!:*", "OR OR", "a" * 5000, "\x00", "'); DROP TABLE x;--"]
)
def test_odd_queries_never_fail(client, catalog, query) -> None:
    response = client.get("/search/", {"q": query})
    assert response.status_code == 200
    assert "Search the courses" in response.content.decode()


def test_pages_help_when_empty_or_nothing_is_found(client, catalog) -> None:
    empty = client.get("/search/").content.decode()
    assert "What you can search" in empty and 'href="?q=backpropagation"' in empty
    none = client.get("/search/", {"q": "zyxwvut"}).content.decode()
    assert "Nothing found for “zyxwvut”" in none and "Check the spelling" in none
    found = client.get("/search/", {"q": "momentum"}).content.decode()
    assert "2 results for “momentum”" in found and 'href="/courses/c5/c5-notes/"' in found
    # The navigation's search box is on every page, its query kept on the results page.
    assert 'role="search" aria-label="Site search"' in found and 'value="momentum"' in found
