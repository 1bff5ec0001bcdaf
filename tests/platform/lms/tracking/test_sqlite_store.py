"""The embedded default (SQLite, what `make run` uses) stores events through the same
service, with the same de-duplication, using bulk inserts."""

from tests.embedded import embedded_run

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
    result = embedded_run(SCRIPT, tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout.split() == ["50", "5", "0", "50", "50"]
