"""The embedded setup (SQLite, what `make run` uses) in a child process: a fresh database
in its own data folder, migrated, then a script run against it."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def embedded_run(script: str, data_dir: Path) -> subprocess.CompletedProcess:
    """Migrate a SQLite site under ``data_dir`` (no PostgreSQL, no broker) and run
    ``python -c script`` on it from the repository root; its output is captured."""
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(CAIRN_DATA_DIR=str(data_dir), DJANGO_SETTINGS_MODULE="lms.settings",
               PYTHONPATH=f"{ROOT / 'platform'}:{ROOT}")  # fmt: skip
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    return subprocess.run([sys.executable, "-c", script], cwd=ROOT, env=env, capture_output=True, text=True)
