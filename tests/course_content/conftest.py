"""Fixtures for the catalog tools' tests (no Django, no database).

Run alone with:
    .venv/bin/python -m pytest tests/course_content -p no:django --confcutdir=tests/course_content -q
"""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

FIXTURES = Path(__file__).parent / "fixtures"
CATALOG = FIXTURES / "catalog"
LOGISTIC_LAB = CATALOG / "demo-course" / "labs" / "logistic"
TINY_LAB = FIXTURES / "labs" / "tiny"


@pytest.fixture
def catalog(tmp_path: Path) -> Path:
    """A writable copy of the valid fixture catalog."""
    root = tmp_path / "catalog"
    shutil.copytree(CATALOG, root, ignore=shutil.ignore_patterns("__pycache__"))
    return root


@pytest.fixture
def tiny_lab(tmp_path: Path) -> Path:
    """A writable copy of the tiny fixture lab."""
    lab = tmp_path / "tiny"
    shutil.copytree(TINY_LAB, lab, ignore=shutil.ignore_patterns("__pycache__"))
    return lab
