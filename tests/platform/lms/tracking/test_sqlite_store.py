"""The embedded default (SQLite, what `make run` uses) stores events through the same
service, with the same de-duplication, using bulk inserts."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[4]
SCRIPT = """
import uuid, django
django.setup()
from django.db import connection
from django.utils import timezone
from lms.accounts.models import User
from lms.tracking.models import Event
from lms.tracking.services import events_ingest
assert connection.vendor == "sqlite"
user = User.objects.create(username="embedded")
batch = [{"id": str(uuid.uuid4()), "time": timezone.now().isoformat(), "verb": "navigation.page_viewed",
          "payload": {"path": f"/p/{i}"}} for i in range(50)]
first = events_ingest(learner_id=user.pk, events=batch + batch[:5])
again = events_ingest(learner_id=user.pk, events=batch)
print(len(first.accepted), len(first.duplicates), len(again.accepted), len(again.duplicates), Event.objects.count())
"""


def test_sqlite_store_deduplicates_with_bulk_inserts(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(CAIRN_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="lms.settings",
               PYTHONPATH=f"{ROOT / 'platform'}:{ROOT}")  # fmt: skip
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["50", "5", "0", "50", "50"]
