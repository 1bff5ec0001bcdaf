"""The "download my data" archive: a zip with ``data.json`` (every exported table's rows,
``lms.privacy.inventory``), ``events.parquet`` (the learner's events in the store, the
columns of ``lms.tracking.interop.export.PARQUET_SCHEMA``) and ``README.txt``."""

from __future__ import annotations

import json
import zipfile
from collections.abc import Callable
from pathlib import Path

from django.conf import settings
from django.core.serializers.json import DjangoJSONEncoder
from django.utils import timezone

from lms.tracking.interop.export import events_export, events_queryset

from .selectors import SECRET_FIELDS, learner_records

README = """Your data from Cairn
====================

Made on {made} for the account "{username}". It holds everything Cairn keeps about you:

data.json       your profile and, by table, every record that belongs to you:
                enrollments (with their course session), activity progress, quiz
                attempts with your answers, lab submissions with your code and the
                grader's results, certificates, discussion threads and replies,
                recommendations shown to you and what you did with them, experiment
                arms you were in, and your personalization (consent) setting.
events.parquet  every event of your clickstream (one row per click, play, answer,
                grade...): event_id, learner_id, learner_key (empty unless your
                account was imported from another platform's log), time, verb,
                session_id, course, activity, payload (JSON), source, received.
                Open it with pandas
                (pandas.read_parquet) or any Parquet reader.

Ids (learner_id, activity_id, ...) are Cairn's own; *_slug columns name the course or
activity. To have all of this erased, use "Erase my data" on the same page.
"""


def archive_dir() -> Path:
    return Path(settings.DATA_DIR) / "privacy"


def learner_data(*, user) -> dict:
    """data.json: the profile, the consent setting and every exported table's rows."""
    profile = {
        f.attname: getattr(user, f.attname)
        for f in type(user)._meta.concrete_fields
        if f.name not in SECRET_FIELDS
    }
    return {
        "format": "cairn-learner-data/1",
        "made": timezone.now(),
        "profile": profile,
        "consent": {
            "personalized_recommendations": user.personalized,
            "meaning": "on: next steps are chosen for you from your activity; off: the syllabus order",
        },
        "groups": list(user.groups.values_list("name", flat=True)),
        "tables": learner_records(user=user),
        "events": {"file": "events.parquet", "count": events_queryset(learner_id=user.pk).count()},
    }


def archive_write(*, user, out: Path, progress: Callable[[str, float], None]) -> dict[str, int]:
    """Write the learner's archive to ``out``; return the counts per table."""
    out.parent.mkdir(parents=True, exist_ok=True)
    progress("collecting your records", 0.05)
    data = learner_data(user=user)
    counts = {label: len(rows) for label, rows in data["tables"].items()}
    total = max(1, data["events"]["count"])
    done = 0

    def events_written(n: int) -> None:
        nonlocal done
        done += n
        progress("exporting your events", 0.2 + 0.7 * min(1.0, done / total))

    events = out.with_name(f"{out.stem}-events.parquet")
    try:
        progress("exporting your events", 0.2)
        report = events_export(format="parquet", out=events, learner_id=user.pk, progress=events_written)
        counts["tracking.Event"] = report.written
        progress("packing the archive", 0.95)
        with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
            archive.writestr(
                "README.txt", README.format(made=data["made"].isoformat(), username=user.username)
            )
            archive.writestr(
                "data.json", json.dumps(data, cls=DjangoJSONEncoder, indent=2, ensure_ascii=False)
            )
            archive.write(events, "events.parquet")
    finally:
        events.unlink(missing_ok=True)
    return counts
