"""The production image runs ``collectstatic`` under ``DJANGO_ENV=production``, where the
manifest storage rewrites every reference a static file makes (CSS ``url()``, a script's
``sourceMappingURL``) and fails on one that points at nothing. Build it here, as the
Dockerfile does, so a vendored file that names a missing neighbour breaks a test and not
the image."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]


def test_collectstatic_builds_under_production_settings(tmp_path):
    env = {
        **os.environ,
        "DJANGO_ENV": "production",
        "SECRET_KEY": "test-only-production-key-0123456789abcdefghijklmnopqrstuvwxyz",
        "STATIC_ROOT": str(tmp_path / "static"),
        "ALLOWED_HOSTS": "cairn.example",
    }
    run = subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert run.returncode == 0, run.stderr[-3000:]

    manifest = json.loads((tmp_path / "static" / "staticfiles.json").read_text())["paths"]
    chart = "analytics/vendor/chart.js-4.6.1/chart.umd.min.js"
    assert chart in manifest and f"{chart}.map" in manifest
    # The hashed script names its hashed map, which exists beside it.
    hashed = (tmp_path / "static" / manifest[chart]).read_text()
    map_name = Path(manifest[f"{chart}.map"]).name
    assert hashed.rstrip().endswith(f"sourceMappingURL={map_name}")
    assert (tmp_path / "static" / manifest[f"{chart}.map"]).is_file()
