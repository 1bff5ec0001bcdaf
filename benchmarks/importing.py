"""What the import benchmarks (``import_edx``, ``import_table``) share: a generated file,
a timed ``import_events`` run and its stored count, and the cleanup afterwards."""

import io
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

from django.core.management import call_command
from django.db import connection

from lms.accounts.models import User
from lms.courses.models import Activity, Week
from lms.tracking import partitions
from lms.tracking.models import Event


@contextmanager
def generated(name: str, generate: Callable[[Path, int], None], n: int) -> Iterator[tuple[Path, float, int]]:
    """A temporary file ``name`` written by ``generate(path, n)``: (its path, the seconds
    generating it took, its size in bytes); removed afterwards."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / name
        t0 = time.perf_counter()
        generate(path, n)
        seconds = time.perf_counter() - t0
        yield path, seconds, path.stat().st_size


def import_timed(*arguments: str) -> tuple[float, str]:
    """Run ``import_events`` with ``arguments`` (and ``--no-progress``): its seconds and its
    printed summary."""
    out = io.StringIO()
    t0 = time.perf_counter()
    call_command("import_events", *arguments, "--no-progress", stdout=out)
    return time.perf_counter() - t0, out.getvalue()


def events_stored(summary: str) -> int:
    """The "events stored" count of an import's printed summary."""
    return int(summary.split("events stored:")[1].split()[0])


def imported_remove(*, user_prefix: str, courses, months) -> None:
    """Remove what an import benchmark made: its learners' events, the courses (with
    their weeks and activities), the learners; then VACUUM the months' partitions, whose
    deleted rows would slow the next run's inserts."""
    users = list(User.objects.filter(username__startswith=user_prefix).values_list("pk", flat=True))
    Event.objects.filter(learner_id__in=users).delete()
    Activity.objects.filter(course__in=courses).delete()
    Week.objects.filter(course__in=courses).delete()
    courses.delete()
    User.objects.filter(pk__in=users).delete()
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            for month in months:
                name = partitions.partition_name(month)
                cursor.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
                if cursor.fetchone()[0]:
                    cursor.execute(f"VACUUM {name}")
