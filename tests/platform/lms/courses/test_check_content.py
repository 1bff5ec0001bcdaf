"""check_content over the real catalog: every course validates, every lab's reference
passes and its starter fails (in fresh processes), and the catalog meets its volume.

Each lab is its own test item, checked in a fresh process by the same function the
command uses (``course_content.labkit.__main__.check_labs``), so `make test`'s workers
share the labs out instead of one worker running all of them at the end of the run. The
command itself is run twice: over the whole catalog without the labs, and with its labs
over the catalog tools' small fixture catalog."""

import subprocess
import sys
from pathlib import Path

import pytest

from course_content.labkit.__main__ import check_labs
from course_content.validate import validate_catalog

ROOT = Path(__file__).resolve().parents[4]
CONTENT = ROOT / "course_content"
# The labs check_content runs (a folder with a lab.py), found without reading the catalog
# at collection; test_catalog_meets_the_curriculum_volume checks the list is the catalog's.
LABS = sorted(path.parent for path in CONTENT.glob("*/labs/*/lab.py"))
FIXTURE_COURSE = ROOT / "tests" / "course_content" / "fixtures" / "catalog" / "demo-course"
# `make test` hands the labs out first, one by one (tests/conftest.py lists this module in SPREAD).
pytestmark = pytest.mark.heavy


def manage(*args: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args], cwd=ROOT, capture_output=True, text=True, timeout=1200
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "FAILED" not in output
    return output


def test_catalog_meets_the_curriculum_volume():
    catalog, errors = validate_catalog(CONTENT)
    assert [str(e) for e in errors] == []
    counts = catalog.counts()
    assert counts["courses"] == 5
    assert counts["weeks"] >= 16
    assert counts["videos"] - counts["interviews"] >= 120
    assert counts["interviews"] >= 5
    assert counts["labs"] >= 29
    quizzes = [a for a in catalog.activities() if a.kind == "quiz"]
    assert len(quizzes) >= 16
    assert min(len(q.quiz.questions) for q in quizzes) >= 8
    for week in (w for c in catalog.courses for w in c.weeks):
        assert sum(a.kind == "quiz" for a in week.activities) == 1, week.id
    types = {q.type for a in quizzes for q in a.quiz.questions}
    assert types == {"single", "multiple", "numeric"}
    checked = [a.lab.dir for c in catalog.courses for a in c.activities() if a.lab is not None]
    assert sorted(d for d in checked if (d / "lab.py").is_file()) == LABS  # every lab is a test below


def test_check_content_validates_the_whole_catalog():
    output = manage("check_content", "--validate-only")
    assert "5 course(s)" in output and "OK in" in output


def test_check_content_runs_the_labs_it_is_given_in_a_fresh_process():
    output = manage("check_content", str(FIXTURE_COURSE))
    assert "labs: 1/1 ok" in output and "1 course(s)" in output and "OK in" in output


@pytest.mark.parametrize("lab", LABS, ids=[f"{lab.parts[-3]}/{lab.name}" for lab in LABS])
def test_the_labs_reference_passes_and_its_starter_fails(lab: Path):
    (report,) = check_labs([str(lab)], jobs=1)
    assert report["ok"], "\n".join(report["problems"])
    assert report["tests"] > 0
