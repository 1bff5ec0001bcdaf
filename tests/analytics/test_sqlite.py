"""The embedded setup (SQLite, what `make run` uses): the same rollups, read by rowid
pages instead of a server-side cursor, equal the direct recomputation, and a dashboard
renders from them."""

import os
import subprocess
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = """
import django
django.setup()
from django.core.management import call_command
from django.db import connection
from django.test import Client
from django.utils import timezone
from analytics.rollups import rollups_update
from lms.accounts.models import User
from lms.tracking.models import Event
from tests.analytics.recompute import differences, recompute, snapshot
assert connection.vendor == "sqlite"
call_command("import_course", "course_content/neural-networks-deep-learning", verbosity=0)
call_command("simulate_cohort", "--course", "neural-networks-deep-learning", "--learners", "16", "--days", "20",
             "--seed", "3", "--start", "2026-05-04", "--batch", "8", "--no-stats", verbosity=0)
stamps = sorted(set(Event.objects.values_list("received", flat=True)))
assert len(stamps) == 2, stamps
rollups_update(until=stamps[0], chunk_size=500)
rollups_update(until=timezone.now(), chunk_size=500)
assert differences(snapshot(), recompute()) == [], differences(snapshot(), recompute())
staff = User.objects.create(username="analyst", is_staff=True)
client = Client()
client.force_login(staff)
for url in ["/dashboards/", "/dashboards/neural-networks-deep-learning/",
            "/dashboards/neural-networks-deep-learning/quizzes/c1-w1-quiz/"]:
    assert client.get(url).status_code == 200, url
print("ok", Event.objects.count())
"""


def test_rollups_on_sqlite_equal_the_recomputation(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in {"DATABASE_URL", "CELERY_BROKER_URL"}}
    env.update(CAIRN_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="lms.settings",
               PYTHONPATH=f"{ROOT / 'platform'}:{ROOT}")  # fmt: skip
    subprocess.run([sys.executable, "manage.py", "migrate", "-v", "0"], cwd=ROOT, env=env, check=True)
    result = subprocess.run([sys.executable, "-c", SCRIPT], cwd=ROOT, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-3000:]
    last = result.stdout.split("\n")[-2].split()
    assert last[0] == "ok" and int(last[1]) > 1000, result.stdout[-2000:]
