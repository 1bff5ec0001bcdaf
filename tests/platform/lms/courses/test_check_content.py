"""check_content over the real catalog: every course validates, every lab's reference
passes and its starter fails (in fresh processes), and the catalog meets its volume."""

import subprocess
import sys
from pathlib import Path

from course_content.validate import validate_catalog

ROOT = Path(__file__).resolve().parents[4]


def test_catalog_meets_the_curriculum_volume():
    catalog, errors = validate_catalog(ROOT / "course_content")
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


def test_check_content_runs_every_lab_in_a_fresh_process():
    result = subprocess.run(
        [sys.executable, "manage.py", "check_content"], cwd=ROOT, capture_output=True, text=True, timeout=1200
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-5000:]
    assert "FAILED" not in output
    assert "5 course(s)" in output
