"""Paths for the dataset readers' tests: the fixtures beside them and the real data
shared with the project (``../shared/data``, never copied into the repository)."""

from __future__ import annotations

from pathlib import Path

import pytest

FIXTURES = Path(__file__).resolve().parent / "fixtures"
SHARED_DATA = Path(__file__).resolve().parents[3] / ".." / "shared" / "data"


def shared_folder(name: str, what: str) -> Path:
    """``../shared/data/<name>``; the test skips, saying where ``what`` was looked for, when absent."""
    folder = SHARED_DATA / name
    if not folder.is_dir():
        pytest.skip(f"the shared {what} is not at {folder} (see ../shared/data/README.md)")
    return folder


@pytest.fixture
def akt_folds_dir() -> Path:
    """The AKT folds (``../shared/data/kt-akt-folds``); the test skips when absent."""
    return shared_folder("kt-akt-folds", "AKT folds")


@pytest.fixture(scope="session")
def ednet_kt4_dir() -> Path:
    """Nine learners of EdNet KT4 with the contents (``../shared/data/ednet-kt4-sample``);
    the test skips when absent."""
    return shared_folder("ednet-kt4-sample", "EdNet KT4 sample")


@pytest.fixture(scope="session")
def event_validators() -> dict:
    """The platform's payload validators by verb (``lms/tracking/vocabulary.py``, loaded by
    path: it needs only fastjsonschema, and importing the ``lms`` package would start
    Django and Celery's app for a pure-library test)."""
    import importlib.util

    path = Path(__file__).resolve().parents[3] / "platform" / "lms" / "tracking" / "vocabulary.py"
    spec = importlib.util.spec_from_file_location("cairn_event_vocabulary", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module.VALIDATORS


def assert_valid_events(events, validators: dict) -> None:
    """Every event's verb is in the vocabulary and its payload validates."""
    import json

    for verb, payload in zip(events["verb"], events["payload"], strict=True):
        assert verb in validators, verb
        validators[verb](json.loads(payload))
