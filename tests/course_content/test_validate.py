"""The catalog validator: one test per class of error, each naming file, line and fix."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from course_content.schema import ContentInvalid, read_yaml
from course_content.validate import find_cycles, load_catalog, validate

from .conftest import CATALOG, FIXTURES

COURSE = Path("demo-course") / "course.yaml"
QUIZ = Path("demo-course") / "quizzes" / "demo-w1-quiz.yaml"
LAB = Path("demo-course") / "labs" / "logistic"


def edit(root: Path, rel: Path | str, old: str, new: str) -> None:
    path = root / rel
    text = path.read_text()
    assert old in text, f"{old!r} not in {rel}"
    path.write_text(text.replace(old, new, 1))


def edit_re(root: Path, rel: Path | str, pattern: str, new: str) -> None:
    """Like :func:`edit` with a regex, for files a code formatter may have rewrapped."""
    path = root / rel
    text, n = re.subn(pattern, new, path.read_text(), count=1)
    assert n == 1, f"{pattern!r} not in {rel}"
    path.write_text(text)


def lines_of(root: Path, rel: Path | str, needle: str) -> list[int]:
    """The numbers (from 1) of the lines of ``root/rel`` that contain ``needle``."""
    lines = (root / rel).read_text().splitlines()
    return [i for i, line in enumerate(lines, start=1) if needle in line]


def line_of(root: Path, rel: Path | str, needle: str) -> int:
    return lines_of(root, rel, needle)[0]


def only_error(root: Path):
    errors = validate(root)
    assert len(errors) == 1, "\n".join(map(str, errors))
    return errors[0]


def assert_error(root: Path, rel: Path | str, line: int, message: str, fix: str) -> None:
    error = only_error(root)
    assert error.file.resolve() == (root / rel).resolve(), str(error)
    assert error.line == line, str(error)
    assert message in error.message, str(error)
    assert fix in error.fix, str(error)
    assert str(error).endswith(f"(fix: {error.fix})") and f":{line}: " in str(error)


def test_fixture_catalog_is_valid_and_loads_typed() -> None:
    assert validate(CATALOG) == []
    catalog = load_catalog(CATALOG)
    course = catalog.courses[0]
    assert course.slug == "demo-course" and course.file.name == "course.yaml"
    acts = {a.id: a for a in catalog.activities()}
    assert acts["demo-w1-intro"].line == line_of(CATALOG, COURSE, "id: demo-w1-intro")
    quiz = acts["demo-w1-quiz"].quiz
    assert quiz is not None and [q.type for q in quiz.questions] == ["single", "multiple", "numeric"]
    assert quiz.questions[0].options[0].correct and quiz.questions[2].answer == 5
    assert acts["demo-w1-lab"].lab.cpu_seconds == 20 and acts["demo-w1-lab"].lab.lab_file.is_file()
    assert "demo-extra" in catalog.concepts and catalog.concepts["demo-extra"].course == "demo-course"
    assert catalog.counts() == {
        "courses": 1,
        "weeks": 1,
        "videos": 2,
        "interviews": 1,
        "readings": 1,
        "quizzes": 1,
        "questions": 3,
        "labs": 1,
        "concepts": 4,
    }


def test_load_catalog_raises_with_all_errors(catalog: Path) -> None:
    edit(catalog, COURSE, "minutes: 7", "minutes: seven")
    edit(catalog, COURSE, "passing_grade: 0.8", "passing_grade: 8")
    with pytest.raises(ContentInvalid) as info:
        load_catalog(catalog)
    assert len(info.value.errors) == 2


# One edit to the valid fixture catalog per case, and the one error it must give (the file
# edited, the text replaced and its replacement, a text on the line the error names, words
# of the message and of the fix).
EDITS = yaml.safe_load((FIXTURES / "validator_edits.yaml").read_text())
EDITED_FILES = {"course": COURSE, "quiz": QUIZ, "lab.py": LAB / "lab.py", "tests.py": LAB / "tests.py"}


@pytest.mark.parametrize("case", EDITS, ids=list(EDITS))
def test_one_edit_gives_one_error_naming_file_line_and_fix(catalog: Path, case: str) -> None:
    spec = EDITS[case]
    rel = EDITED_FILES[spec["file"]]
    edit(catalog, rel, spec["replace"], spec["with"])
    assert_error(catalog, rel, line_of(catalog, rel, spec["error_on"]), spec["message"], spec["fix"])


def test_unknown_key_gets_did_you_mean(catalog: Path) -> None:
    edit(catalog, COURSE, "        duration: 412", "        durration: 412")
    line = line_of(catalog, COURSE, "durration")
    errors = validate(catalog)
    unknown = next(e for e in errors if "unknown key" in e.message)
    assert unknown.line == line and unknown.fix == "did you mean 'duration'?"


def test_activity_ids_are_globally_unique(catalog: Path) -> None:
    other = catalog / "other-course"
    other.mkdir()
    text = (catalog / COURSE).read_text().replace("slug: demo-course", "slug: other-course")
    text = text.replace("id: demo-w1\n", "id: other-w1\n").replace("demo-extra", "other-extra")
    (other / "course.yaml").write_text(text.replace("number: 1", "number: 2"))
    (other / "transcripts").mkdir()
    (other / "quizzes").mkdir()
    (other / "labs").mkdir()
    for sub in ("transcripts", "quizzes"):
        for f in (catalog / "demo-course" / sub).iterdir():
            (other / sub / f.name).write_bytes(f.read_bytes())
    (other / "labs" / "logistic").symlink_to(catalog / LAB)
    errors = [e for e in validate(catalog) if "already used" in e.message]
    assert {e.message.split("'")[1] for e in errors} == {
        "demo-w1-intro",
        "demo-w1-interview",
        "demo-w1-notes",
        "demo-w1-quiz",
        "demo-w1-lab",
    }
    assert all(
        e.file.parent.name == "other-course" and "unique across the whole catalog" in e.fix for e in errors
    )


def test_prerequisite_cycle_is_named(catalog: Path) -> None:
    edit(
        catalog,
        "concepts.yaml",
        "{id: numpy-basics, title: NumPy arrays, requires: []}",
        "{id: numpy-basics, title: NumPy arrays, requires: [demo-extra]}",
    )
    error = only_error(catalog)
    assert error.message == "prerequisite cycle: demo-extra -> vectorization -> numpy-basics -> demo-extra"
    assert error.file.name == "course.yaml" and "remove one of these" in error.fix
    assert find_cycles({"a": ["b"], "b": ["a"], "c": ["c"]}) == [["a", "b"], ["c"]]


def test_duplicate_concept(catalog: Path) -> None:
    edit(
        catalog,
        "concepts.yaml",
        "  - {id: vectorization",
        "  - {id: vectorization, title: Again, requires: []}\n  - {id: vectorization",
    )
    error = only_error(catalog)
    assert "declared twice" in error.message and error.line == 5  # the later declaration
    assert "(also at concepts.yaml:4)" in error.message


def test_invalid_yaml_names_the_line(catalog: Path) -> None:
    edit(catalog, QUIZ, "    difficulty: 2\n", "    difficulty: [2\n")
    error = validate(catalog)[0]
    assert error.file.name == QUIZ.name and "invalid YAML" in error.message and "YAML syntax" in error.fix


def test_short_transcript(catalog: Path) -> None:
    (catalog / "demo-course" / "transcripts" / "demo-w1-intro.md").write_text("Too short.\n")
    assert_error(
        catalog, "demo-course/transcripts/demo-w1-intro.md", 1, "has 2 words, fewer than 100", "prose"
    )


def test_missing_transcript(catalog: Path) -> None:
    (catalog / "demo-course" / "transcripts" / "demo-w1-intro.md").unlink()
    assert_error(
        catalog,
        COURSE,
        line_of(catalog, COURSE, "id: demo-w1-intro"),
        "has no transcript",
        "transcripts/demo-w1-intro.md",
    )


@pytest.mark.parametrize(
    ("media", "words"),
    [
        ("media/missing.mp4", "does not exist"),
        ("http://example.org/a.mp4", "is not https"),
        ("../outside.mp4", "leaves course_content"),
    ],
)
def test_media_must_exist_or_be_https(catalog: Path, media: str, words: str) -> None:
    edit(catalog, COURSE, "media: media/clip.mp4", f"media: {media}")
    assert_error(catalog, COURSE, line_of(catalog, COURSE, "id: demo-w1-intro"), words, "")


def test_multiple_choice_needs_a_correct_option(catalog: Path) -> None:
    edit(
        catalog,
        QUIZ,
        '      - text: "np.dot(w.T, X)"\n        correct: true',
        '      - text: "np.dot(w.T, X)"\n        correct: false',
    )
    error = only_error(catalog)
    assert "has no correct option" in error.message and "correct: true" in error.fix


def test_orphan_quiz_file(catalog: Path) -> None:
    (catalog / "demo-course" / "quizzes" / "demo-w1-qiz.yaml").write_text("questions: []\n")
    assert_error(
        catalog,
        "demo-course/quizzes/demo-w1-qiz.yaml",
        1,
        "belongs to no quiz activity",
        "did you mean 'demo-w1-quiz'?",
    )


def test_lab_unbalanced_markers(catalog: Path) -> None:
    edit(catalog, LAB / "lab.py", "    ### END SOLUTION\n    return s\n", "    return s\n")
    begins = lines_of(catalog, LAB / "lab.py", "### BEGIN SOLUTION")
    assert_error(
        catalog, LAB / "lab.py", begins[1], f"inside the block opened at line {begins[0]}", "close that block"
    )


def test_mistake_call_must_be_defined(catalog: Path) -> None:
    edit_re(
        catalog,
        LAB / "tests.py",
        r'call="sigmoid",(\s*)name="forgot the minus sign"',
        r'call="sigmod",\1name="forgot the minus sign"',
    )
    assert_error(
        catalog,
        LAB / "tests.py",
        line_of(catalog, LAB / "tests.py", 'name="forgot the minus sign"'),
        "replaces 'sigmod', which lab.py does not define",
        "did you mean 'sigmoid'?",
    )


def test_test_names_are_unique(catalog: Path) -> None:
    edit(catalog, LAB / "tests.py", '"sigmoid of a vector"', '"sigmoid of 0 is 0.5"')
    second = lines_of(catalog, LAB / "tests.py", '"sigmoid of 0 is 0.5"')[1]
    assert_error(catalog, LAB / "tests.py", second, "is already used at line", "its own name")


def test_lab_needs_a_hidden_test(catalog: Path) -> None:
    path = catalog / LAB / "tests.py"
    text = (
        path.read_text()
        .replace("TESTS = [", "TESTS = [t for t in [")
        .replace("\n]\n\nMISTAKES", "\n] if t.public]\n\nMISTAKES", 1)
    )
    path.write_text(text)
    assert_error(
        catalog,
        LAB / "tests.py",
        line_of(catalog, LAB / "tests.py", "TESTS = ["),
        "no hidden test",
        "public=False",
    )


def test_yaml_lines_are_kept() -> None:
    data = read_yaml(CATALOG / COURSE)
    week = data["weeks"][0]
    assert week.line == line_of(CATALOG, COURSE, "id: demo-w1") and data.key_line("weeks") == line_of(
        CATALOG, COURSE, "weeks:"
    )


def test_cli_validate_prints_counts_or_errors(catalog: Path) -> None:
    ok = subprocess.run(
        [sys.executable, "-m", "course_content", "validate", str(catalog)], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stdout
    assert "1 course(s), 1 week(s), 2 video(s) (1 interview(s))" in ok.stdout
    assert "1 quiz(zes) with 3 question(s), 1 lab(s)" in ok.stdout
    edit(catalog, QUIZ, "difficulty: 2", "difficulty: 9")
    bad = subprocess.run(
        [sys.executable, "-m", "course_content", "validate", str(catalog / "demo-course")],
        capture_output=True,
        text=True,
    )
    assert bad.returncode == 1
    assert "demo-w1-quiz.yaml:" in bad.stdout and "(fix: use 1 (easy) to 5 (hard))" in bad.stdout
