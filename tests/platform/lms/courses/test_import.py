"""import_course: idempotent, updates in place, retires instead of deleting, writes
nothing when the files have errors."""

import io
from pathlib import Path

import pytest
from django.core.management import CommandError, call_command

from lms.courses.models import Activity, Concept, Course, Question

pytestmark = pytest.mark.django_db

CONCEPTS = """\
concepts:
  - {id: numpy-basics, title: NumPy basics, requires: []}
  - {id: vectorization, title: Vectorization, requires: [numpy-basics]}
"""

COURSE = """\
slug: tiny-course
number: 1
title: A Tiny Course
summary: Just enough to test the importer.
passing_grade: 0.8
weeks:
  - id: tiny-w1
    title: Week one
    summary: Vectors.
    activities:
      - id: tiny-w1-vectors
        kind: video
        title: Vectors
        minutes: 5
        graded: false
        concepts: [vectorization]
        duration: 300
        media: media/clip.mp4
      - id: tiny-w1-arrays
        kind: video
        title: Arrays
        minutes: 4
        graded: false
        concepts: [numpy-basics]
        duration: 240
        media: media/clip.mp4
      - id: tiny-w1-quiz
        kind: quiz
        title: Vectors quiz
        minutes: 10
        graded: true
        concepts: [vectorization]
"""

QUIZ = """\
questions:
  - id: q-shape
    type: numeric
    prompt: How many elements has an array of shape (3, 4)?
    concepts: [numpy-basics]
    difficulty: 1
    answer: 12
    tolerance: 0
    explanation: 3 times 4.
  - id: q-loop
    type: single
    prompt: Which is faster in NumPy?
    concepts: [vectorization]
    difficulty: 2
    options:
      - {text: A Python for-loop, correct: false, explanation: Each iteration runs in the interpreter.}
      - {text: A vectorized expression, correct: true, explanation: The loop runs in compiled code.}
"""


def transcript(topic: str) -> str:
    return " ".join(f"{topic} sentence {i} explains arrays and broadcasting in NumPy." for i in range(15))


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    (tmp_path / "concepts.yaml").write_text(CONCEPTS)
    (tmp_path / "media").mkdir()
    (tmp_path / "media" / "clip.mp4").write_bytes(b"\x00")
    course = tmp_path / "tiny-course"
    (course / "transcripts").mkdir(parents=True)
    (course / "quizzes").mkdir()
    (course / "course.yaml").write_text(COURSE)
    (course / "quizzes" / "tiny-w1-quiz.yaml").write_text(QUIZ)
    for slug in ("tiny-w1-vectors", "tiny-w1-arrays"):
        (course / "transcripts" / f"{slug}.md").write_text(transcript(slug))
    return course


def run_import(path: Path) -> str:
    out = io.StringIO()
    call_command("import_course", str(path), stdout=out)
    return out.getvalue()


def test_import_creates_the_course_graph(catalog):
    assert "1 course created" in run_import(catalog)
    course = Course.objects.get(slug="tiny-course")
    assert [a.slug for a in Activity.objects.filter(course=course)] == [
        "tiny-w1-vectors",
        "tiny-w1-arrays",
        "tiny-w1-quiz",
    ]
    video = Activity.objects.get(slug="tiny-w1-vectors")
    assert video.duration_seconds == 300 and "broadcasting" in video.transcript
    assert list(video.concepts.values_list("slug", flat=True)) == ["vectorization"]
    assert list(Concept.objects.get(slug="vectorization").requires.values_list("slug", flat=True)) == [
        "numpy-basics"
    ]
    questions = Question.objects.filter(activity__slug="tiny-w1-quiz")
    assert [(q.slug, q.type) for q in questions] == [("q-shape", "numeric"), ("q-loop", "single")]
    assert questions[0].answer == 12 and questions[1].options[1]["correct"] is True


def test_reimport_is_idempotent_and_updates_in_place(catalog):
    run_import(catalog)
    before = dict(Activity.objects.values_list("slug", "pk"))
    assert run_import(catalog).strip() == "tiny-course: nothing to do"

    (catalog / "course.yaml").write_text(COURSE.replace("title: Vectors\n", "title: Vectors, revisited\n"))
    assert "1 activity updated" in run_import(catalog)
    assert dict(Activity.objects.values_list("slug", "pk")) == before
    assert Activity.objects.get(slug="tiny-w1-vectors").title == "Vectors, revisited"


def test_removed_activities_and_questions_are_retired_not_deleted(catalog):
    run_import(catalog)
    without_arrays = (
        COURSE.split("      - id: tiny-w1-arrays")[0]
        + "      - id: tiny-w1-quiz"
        + COURSE.split("      - id: tiny-w1-quiz")[1]
    )
    (catalog / "course.yaml").write_text(without_arrays)
    (catalog / "transcripts" / "tiny-w1-arrays.md").unlink()  # an orphan transcript is an error
    (catalog / "quizzes" / "tiny-w1-quiz.yaml").write_text(QUIZ.split("  - id: q-loop")[0])
    output = run_import(catalog)
    assert "1 activity retired" in output and "1 question retired" in output
    assert Activity.objects.get(slug="tiny-w1-arrays").retired
    assert Question.objects.get(slug="q-loop").retired

    (catalog / "course.yaml").write_text(COURSE)
    (catalog / "transcripts" / "tiny-w1-arrays.md").write_text(transcript("tiny-w1-arrays"))
    run_import(catalog)
    assert not Activity.objects.get(slug="tiny-w1-arrays").retired


def test_invalid_files_name_file_and_line_and_write_nothing(catalog):
    (catalog / "course.yaml").write_text(COURSE.replace("minutes: 4", "minutes: four"))
    with pytest.raises(CommandError) as error:
        run_import(catalog)
    message = str(error.value)
    assert "nothing was imported" in message
    assert "tiny-course/course.yaml:22:" in message and "minutes" in message
    assert not Course.objects.exists() and not Activity.objects.exists()


def test_the_real_catalog_imports(settings):
    courses = sorted(Path(settings.CONTENT_ROOT).glob("*/course.yaml"))
    assert len(courses) == 5
    call_command("import_course", "--all", stdout=io.StringIO())
    assert Course.objects.count() == 5
    assert Activity.objects.filter(kind="video").count() >= 120
    assert Activity.objects.filter(kind="lab").count() >= 29


def test_outline_lists_weeks_and_activities_in_few_queries(catalog, client, django_assert_max_num_queries):
    run_import(catalog)
    with django_assert_max_num_queries(10):
        response = client.get("/courses/tiny-course/")
    assert response.status_code == 200
    page = response.content.decode()
    assert "Week one" in page and page.index("Vectors") < page.index("Arrays") < page.index("Vectors quiz")
    assert client.get("/courses/no-such-course/").status_code == 404
