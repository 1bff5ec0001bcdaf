"""Erasure, proven: after erasing a learner who has data in every table, no column of
any model, no raw table of the database (event partitions included) and no file under
DATA_DIR holds their username, e-mail, name, learner id or pseudonyms; another
learner's data is intact; a re-import of an old log cannot bring them back; erasing
twice is harmless; a failure mid-way leaves everything as it was."""

from __future__ import annotations

import gzip
import io
import zipfile
from pathlib import Path

import pyarrow.parquet as pq
import pytest
from django.apps import apps
from django.contrib.auth import get_user_model
from django.contrib.sessions.models import Session
from django.core.cache import cache
from django.db import connection
from django.urls import reverse

from analytics.models import CourseSummary, ExportJob
from lms.accounts.roles import analytics_learner_pseudonym
from lms.discussions.models import Post, Thread
from lms.privacy import erasure as erasure_module
from lms.privacy.hooks import Subject
from lms.privacy.models import AuditEntry, DataRequest
from lms.privacy.services import RequestRefused, download_request_create, erasure_request_create, erasure_run
from lms.privacy.tasks import download_build_task, erasure_run_task
from lms.quizzes.models import QuizAttempt
from lms.recommendations.generation import GENERATION_KEY
from lms.recommendations.services import NEXT_STEPS_KEY
from lms.tracking import partitions
from lms.tracking.interop import events_import
from lms.tracking.interop.naming import xapi_learner_pseudonym
from lms.tracking.models import Event

from .conftest import PASSWORD

pytestmark = pytest.mark.django_db
LEARNER_COLUMN = ("learner", "user", "author", "requested_by", "by")  # foreign keys naming a person


def identifiers(user) -> Subject:
    return Subject(user.pk, user.username, user.email, user.display_name, analytics_learner_pseudonym(user.pk),
                   xapi_learner_pseudonym(user.pk))  # fmt: skip


def model_leaks(who: Subject) -> list[str]:
    """Every column of every model, row by row (generated from apps.get_models())."""
    found = []
    for model in apps.get_models(include_auto_created=True):
        for row in model._default_manager.all().values_list(
            *[f.attname for f in model._meta.concrete_fields]
        ):
            for field, value in zip(model._meta.concrete_fields, row, strict=True):
                text = str(value)
                if any(name in text for name in who.names):
                    found.append(f"{model._meta.label}.{field.name} = {text[:80]!r}")
                if field.is_relation and field.related_model is get_user_model() and value == who.id:
                    found.append(f"{model._meta.label}.{field.name} = learner id {who.id}")
    return found


def table_leaks(who: Subject) -> list[str]:
    """Every table and partition in the database, by SQL: text columns for the names,
    learner-like id columns for the id."""
    found = []
    patterns = [f"%{name}%" for name in who.names]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c "
            "JOIN information_schema.tables t USING (table_schema, table_name) "
            "WHERE c.table_schema = 'public' AND t.table_type = 'BASE TABLE'"
        )
        for table, column, kind in cursor.fetchall():
            if kind in ("text", "character varying", "jsonb", "json"):
                cursor.execute(
                    f'SELECT count(*) FROM "{table}" WHERE "{column}"::text LIKE ANY (%s)', [patterns]
                )
            elif kind in ("bigint", "integer") and column.removesuffix("_id") in LEARNER_COLUMN:
                cursor.execute(f'SELECT count(*) FROM "{table}" WHERE "{column}" = %s', [who.id])
            else:
                continue
            if cursor.fetchone()[0]:
                found.append(f"{table}.{column}")
    return found


def file_text(path: Path) -> str:
    """A file's content as text, whatever its format (Parquet, zip, gzip, torch)."""
    data = path.read_bytes()
    if path.suffix == ".parquet":
        return str(pq.read_table(path).to_pylist())
    if path.suffix == ".pt":
        import torch

        return str(torch.load(path, map_location="cpu", weights_only=True))
    if data[:2] == b"PK":
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            return "".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    return data.decode("utf-8", "replace")


def file_leaks(root: Path, who: Subject) -> list[str]:
    found = []
    for path in sorted(p for p in root.rglob("*") if p.is_file()):
        text = file_text(path)
        found += [f"{path.relative_to(root)}: {name}" for name in who.names if name in text]
        if path.suffix == ".parquet" and who.id in pq.read_table(path).column("learner_id").to_pylist():
            found.append(f"{path.relative_to(root)}: learner id")
        if path.name.endswith(".txt") and str(who.id) in text.split():
            found.append(f"{path.relative_to(root)}: learner id")
        if path.suffix == ".pt" and f"{who.id}," in text.replace(" ", "") + ",":
            found.append(f"{path.relative_to(root)}: learner id")
    return found


def erase(user) -> DataRequest:
    request = erasure_request_create(user=user, password=PASSWORD)
    assert erasure_run_task(str(request.pk)) == f"erasure {request.pk}: done"
    request.refresh_from_db()
    return request


def test_nothing_identifying_remains_and_the_other_learner_is_intact(world, client, settings):
    learner, other = world.learner, world.other
    who, data_dir = identifiers(learner), Path(settings.DATA_DIR)
    client.force_login(learner)
    own_archive = download_request_create(user=learner)
    download_build_task(str(own_archive.pk))
    # The world really holds the learner everywhere we are about to look.
    assert model_leaks(who) and table_leaks(who) and file_leaks(data_dir, who)
    for ref in erasure_module.user_references():
        if ref.label != "privacy.DataRequest":
            assert ref.model._default_manager.filter(**{ref.field: learner}).exists(), f"no row in {ref.key}"
    before = {
        "other events": Event.objects.filter(learner=other).count(),
        "other attempts": QuizAttempt.objects.filter(learner=other).count(),
        "course learners": CourseSummary.objects.get(course=world.items["video"].course).learners,
    }
    session_key = client.session.session_key
    assert client.get("/api/v1/me/next-steps").json()["steps"]  # cached for the learner
    cached = [NEXT_STEPS_KEY.format(learner.pk), GENERATION_KEY.format(learner.pk)]
    assert all(key in cache for key in cached)

    request = erase(learner)

    assert model_leaks(who) == []
    assert table_leaks(who) == []
    for name in partitions.partitions_list():  # and each partition, by name
        with connection.cursor() as cursor:
            cursor.execute(f'SELECT count(*) FROM "{name}" WHERE learner_id = %s', [learner.pk])
            assert cursor.fetchone()[0] == 0, name
    assert file_leaks(data_dir, who) == []
    assert not list(data_dir.rglob(".erasing-*"))
    assert not get_user_model().objects.filter(pk=learner.pk).exists()
    assert not Session.objects.filter(session_key=session_key).exists()
    assert not any(key in cache for key in cached)
    assert client.get(reverse("my-data")).status_code == 302  # signed out everywhere
    # The other learner: untouched, their reply in the erased learner's thread kept.
    assert Event.objects.filter(learner=other).count() == before["other events"]
    assert QuizAttempt.objects.filter(learner=other).count() == before["other attempts"]
    kept = Thread.objects.get(posts__author=other, posts__body="A tensor is an array.")
    assert (kept.title, kept.body, kept.author.username) == ("[deleted]", "[deleted]", "[deleted]")
    assert not kept.author.is_active and not kept.author.has_usable_password()
    assert Thread.objects.get(author=other).answer is None  # the learner's reply was the answer
    assert Post.objects.filter(author=other).count() == 1
    assert CourseSummary.objects.get(course=world.items["video"].course).learners == before["course learners"]
    # Exports: files naming the learner deleted and their jobs purged; the other kept.
    for format in ("parquet", "edx", "xapi"):
        job = ExportJob.objects.get(pk=world.exports[format].pk)
        assert job.status == "failed" and job.error.startswith("purged") and job.path == ""
        assert not Path(world.exports[format].path).exists()
    assert Path(ExportJob.objects.get(pk=world.exports["other"].pk).path).is_file()
    # The training snapshot: scrubbed, the other learner still in it.
    snapshot = pq.read_table(world.registry / "v1" / "events.parquet")
    assert set(snapshot.column("learner_id").to_pylist()) == {other.pk}
    kept = (world.registry / "v1" / "holdout.txt").read_text().splitlines()
    assert [line for line in kept if not line.startswith("#")] == [str(other.pk)]
    # The audit log: the request, the counts per table, no name.
    entry = AuditEntry.objects.get(request_id=request.pk, action="done")
    assert entry.counts["accounts.User"] == 1 and entry.counts["labs.Submission"] == 1
    assert any(key.startswith("tracking.Event (tracking_event_y") for key in entry.counts)
    assert request.learner_id is None and request.status == "done"


def test_a_reimport_of_an_old_log_cannot_bring_the_learner_back(world):
    learner = world.learner
    erase(learner)
    for format, suffix in (("edx", ".log.gz"), ("xapi", ".jsonl.gz")):
        copy = next(world.outside.glob(f"*{suffix}"))
        report = events_import(format=format, paths=[copy], threaded=False)
        assert report.skipped["learner erased on request"] > 0, (format, report.summary())
        assert report.stored == 0  # the other learners' events are there already
    assert not get_user_model().objects.filter(username__contains="zelda").exists()
    assert (
        not get_user_model().objects.filter(username__startswith=xapi_learner_pseudonym(learner.pk)).exists()
    )


def test_erasing_twice_is_harmless(world):
    first = erasure_request_create(user=world.learner, password=PASSWORD)
    second = DataRequest.objects.create(kind="erasure", learner=world.learner)  # asked twice, in two tabs
    assert erasure_run(request_id=str(first.pk)).status == "done"
    assert erasure_run(request_id=str(first.pk)) is None  # the same message again
    second.refresh_from_db()
    assert second.learner_id is None
    assert erasure_run(request_id=str(second.pk)).status == "done"  # nothing left: done, no counts
    assert AuditEntry.objects.get(request_id=second.pk, action="done").counts == {}
    assert Event.objects.filter(learner=world.other).exists()


def test_a_failure_mid_erasure_changes_nothing_and_says_why(world, monkeypatch):
    learner, who = world.learner, identifiers(world.learner)
    files = {p: p.read_bytes() for p in Path(world.registry).parent.rglob("*") if p.is_file()}
    events = Event.objects.filter(learner=learner).count()

    def broken(**kwargs):
        raise RuntimeError("the event store went away (simulated)")

    monkeypatch.setattr(erasure_module, "events_erase", broken)  # after enrollments, before the user row
    request = erasure_request_create(user=learner, password=PASSWORD)
    failed = erasure_run(request_id=str(request.pk))
    assert failed.status == "failed" and "the event store went away" in failed.error
    assert AuditEntry.objects.filter(request_id=request.pk, action="failed").get().detail == failed.error
    assert get_user_model().objects.filter(pk=learner.pk).exists()
    assert Event.objects.filter(learner=learner).count() == events
    assert learner.enrollments.exists() and learner.submissions.exists()
    assert DataRequest.objects.get(pk=request.pk).learner_id == learner.pk
    assert {p: p.read_bytes() for p in Path(world.registry).parent.rglob("*") if p.is_file()} == files
    assert model_leaks(who)  # still all there
    assert ExportJob.objects.get(pk=world.exports["edx"].pk).status == "done"


def test_erasure_needs_the_password_and_signs_out(world, client):
    client.force_login(world.learner)
    response = client.post(reverse("my-data"), {"action": "erase", "password": "wrong"}, follow=True)
    assert "not your password" in response.content.decode()
    assert not DataRequest.objects.filter(kind="erasure").exists()
    with pytest.raises(RequestRefused):
        erasure_request_create(user=world.staff, password=PASSWORD)
    response = client.post(reverse("my-data"), {"action": "erase", "password": PASSWORD})
    request = DataRequest.objects.get(kind="erasure")
    assert response.status_code == 200 and str(request.pk) in response.content.decode()
    assert client.get(reverse("my-data")).status_code == 302  # signed out at once
    assert AuditEntry.objects.filter(request_id=request.pk, action="requested").exists()


def test_the_audit_log_is_append_only(world):
    request = erase(world.learner)
    entry = AuditEntry.objects.filter(request_id=request.pk).first()
    with pytest.raises(ValueError):
        entry.save()
    with pytest.raises(ValueError):
        entry.delete()
    from django.db import DatabaseError, transaction

    with pytest.raises(DatabaseError), transaction.atomic():
        AuditEntry.objects.filter(pk=entry.pk).update(detail="edited")
