"""The embedded setup (SQLite, what `make run` uses): the same rollups, read by rowid
pages instead of a server-side cursor, equal the direct recomputation, and a dashboard
renders from them."""

from tests.embedded import embedded_run

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
    result = embedded_run(SCRIPT, tmp_path)
    assert result.returncode == 0, result.stderr[-3000:]
    last = result.stdout.split("\n")[-2].split()
    assert last[0] == "ok" and int(last[1]) > 1000, result.stdout[-2000:]
