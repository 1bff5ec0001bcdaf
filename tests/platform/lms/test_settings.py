"""Settings come from the environment: the embedded default needs no services, and
production passes Django's deployment checklist."""

import json
import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[3]
SHOW = (
    "import json, django; django.setup(); from django.conf import settings as s; "
    "print(json.dumps({'engine': s.DATABASES['default']['ENGINE'], 'name': str(s.DATABASES['default']['NAME']),"
    " 'broker': s.CELERY_BROKER_URL, 'backend': s.CELERY_RESULT_BACKEND, 'debug': s.DEBUG}))"
)


def _env(**overrides: str) -> dict[str, str]:
    keep = {k: v for k, v in os.environ.items() if k in {"PATH", "HOME", "LANG"}}
    return {
        **keep,
        "DJANGO_SETTINGS_MODULE": "lms.settings",
        "PYTHONPATH": f"{ROOT / 'platform'}:{ROOT}",
        **overrides,
    }


def test_embedded_default_is_sqlite_under_var_with_a_serverless_broker(tmp_path):
    result = subprocess.run(
        [sys.executable, "-c", SHOW], cwd=ROOT, env=_env(), capture_output=True, text=True, check=True
    )
    shown = json.loads(result.stdout)
    assert shown["engine"] == "django.db.backends.sqlite3"
    assert shown["name"] == str(ROOT / "var" / "cairn.sqlite3")
    assert shown["broker"] == "filesystem://"
    assert shown["backend"].startswith("file://")
    assert shown["debug"] is True


def test_production_passes_check_deploy_without_warnings():
    env = _env(
        DJANGO_ENV="production",
        SECRET_KEY="x7$kq!p2-production-like-secret-for-the-test-9f8e7d6c5b4a3210zyxw",
        ALLOWED_HOSTS="cairn.example.org",
        DATABASE_URL="postgres://postgres@127.0.0.1:5432/cairn",
        CELERY_BROKER_URL="redis://127.0.0.1:6379/15",
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stdout + result.stderr
    assert "System check identified no issues" in result.stdout
    assert "WARNING" not in result.stdout + result.stderr


def test_production_refuses_to_start_without_a_secret_key():
    result = subprocess.run(
        [sys.executable, "-c", SHOW],
        cwd=ROOT,
        env=_env(DJANGO_ENV="production"),
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "SECRET_KEY must be set" in result.stderr
