"""The shared Statics2011 folds and pykt-toolkit, or a clear skip."""

from __future__ import annotations

from pathlib import Path

import pytest

from recommender.benchmark import pykt_models as pm

STATICS = Path(__file__).resolve().parents[3] / ".." / "shared" / "data" / "kt-akt-folds" / "statics"


def statics_with_pykt() -> Path:
    """The Statics folds' folder, once pykt-toolkit is installed; skips the test otherwise."""
    if not STATICS.is_dir():
        pytest.skip(f"shared data absent: {STATICS}")
    try:
        pm.ensure_pykt()
    except pm.PyktUnavailable as exc:
        pytest.skip(f"pykt-toolkit cannot be installed from the package registry: {exc}")
    return STATICS
