"""Erasure of a learner from analysts' export files (registered with ``lms.privacy`` in
``AnalyticsConfig.ready``; ``lms`` never imports ``analytics``).

A finished export whose file contains the learner (by id, username or either pseudonym,
in any format) is **deleted**, and its job marked failed with "purged ..." as the
reason, so the analyst sees why it is gone and can run it again: the new file is the
same export without the learner, whose events are gone from the store. Deleting rather
than rewriting cannot miss a column or a format, and keeps no half-edited copy of an
analyst's snapshot around. Files without the learner are left as they are.
"""

from __future__ import annotations

import gzip
import json
from pathlib import Path

import pyarrow as pa
import pyarrow.csv as pacsv
import pyarrow.parquet as pq
from django.utils import timezone

from lms.privacy.hooks import FilePlan, Subject

from .models import ExportJob


def export_files_erase(*, subject: Subject, plan: FilePlan) -> dict[str, int]:
    purged = 0
    for job in ExportJob.objects.select_for_update().exclude(path=""):
        path = Path(job.path)
        if not path.is_file() or not _mentions(path, job.format, subject):
            continue
        plan.delete.add(path)
        ExportJob.objects.filter(pk=job.pk).update(
            status=ExportJob.Status.FAILED,
            path="",
            size=None,
            error=f"purged on {timezone.now():%Y-%m-%d}: the file held a learner who asked for erasure; "
            "run the export again (it will not contain them)",
        )
        purged += 1
    return {"files: analytics exports (deleted, job purged)": purged} if purged else {}


def _mentions(path: Path, format: str, subject: Subject) -> bool:
    """Does the export file name the learner (id, username or pseudonym)?"""
    names = subject.names | {str(subject.id)}
    if format == "parquet":
        ids = pq.read_table(path, columns=["learner_id"]).column("learner_id")
        return any(str(v) in names for v in ids.unique().to_pylist())
    if format == "csv":
        options = pacsv.ConvertOptions(
            include_columns=["learner_id"], column_types={"learner_id": pa.string()}
        )
        ids = pacsv.read_csv(path, convert_options=options).column("learner_id")
        return any(v in names for v in ids.unique().to_pylist())
    with gzip.open(path, "rt", encoding="utf-8") as lines:
        for line in lines:
            if not line.strip():
                continue
            record = json.loads(line)
            if format == "edx":
                who = record.get("username")
            else:
                who = ((record.get("actor") or {}).get("account") or {}).get("name")
            if who in names:
                return True
    return False
