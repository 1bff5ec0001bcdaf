"""What erasing a learner does, step by step. Every function here runs inside the
erasure's one transaction (``services.erasure_run``) and returns counts for the audit
log; files are only planned (``hooks.FilePlan``) and change after the commit.

1. Rows: each foreign key to the user, by its rule (``inventory.RULES``): deleted,
   set to null, or (discussions) kept as "[deleted]" under the placeholder author.
   First the admin history (``inventory.TEXT_COPIES``): entries about the learner or
   their rows deleted, entries naming them elsewhere redacted.
2. Events: deleted from every monthly partition of ``tracking_event`` (SQL, one
   partition at a time so the audit log counts each).
3. Sessions: every session of the learner ended (rows here, cache after the commit).
4. Files: the recommender's training snapshots (here), analysts' export files (the
   ``analytics.exports`` eraser), the learner's own download archives.
5. The exclusion list gets the keyed hashes of their username and pseudonyms.
6. The user row is deleted.
"""

from __future__ import annotations

import re
from collections import Counter
from functools import reduce
from operator import or_
from pathlib import Path

from django.conf import settings
from django.contrib.admin.models import LogEntry
from django.contrib.auth import get_user_model
from django.contrib.auth.hashers import make_password
from django.contrib.contenttypes.models import ContentType
from django.contrib.sessions.models import Session
from django.db import connection
from django.db.models import Count, Q, TextField
from django.db.models.functions import Cast

from lms.accounts.roles import analytics_learner_pseudonym
from lms.discussions.models import Post, Thread
from lms.tracking import partitions
from lms.tracking.interop.naming import xapi_learner_pseudonym
from lms.tracking.models import Event

from .hooks import FilePlan, Subject
from .inventory import (
    ADMIN_LOG_ABOUT,
    ADMIN_LOG_NAMING,
    DELETE,
    DISCUSSION,
    EVENTS,
    PRIVACY,
    SET_NULL,
    user_references,
)
from .models import DataRequest, ErasedLearner
from .selectors import erased_key

PLACEHOLDER_USERNAME = "[deleted]"  # not a valid sign-up username: nobody can take it
DELETED = "[deleted]"


def subject_of(user) -> Subject:
    return Subject(
        id=user.pk,
        username=user.username,
        email=user.email,
        display_name=user.display_name,
        pseudonym=analytics_learner_pseudonym(user.pk),
        xapi_pseudonym=xapi_learner_pseudonym(user.pk),
    )


def placeholder_author():
    """The one shared author of every kept "[deleted]" thread: inactive, no password, no
    e-mail. Shared, so kept threads of one erased learner cannot be linked together."""
    user, _ = get_user_model().objects.get_or_create(
        username=PLACEHOLDER_USERNAME,
        defaults={"is_active": False, "password": make_password(None), "display_name": DELETED},
    )
    return user


def discussions_erase(*, user) -> Counter:
    """Threads others replied to stay, as "[deleted]" by the placeholder author (their
    replies keep their context); the learner's other threads and all their replies go."""
    counts: Counter = Counter()
    threads = Thread.objects.filter(author=user).annotate(
        others=Count("posts", filter=~Q(posts__author=user))
    )
    kept = [t.pk for t in threads if t.others]
    if kept:
        counts["discussions.Thread (kept as [deleted])"] = Thread.objects.filter(pk__in=kept).update(
            author=placeholder_author(), title=DELETED, body=DELETED
        )
    counts["discussions.Post"] = Post.objects.filter(author=user).delete()[1].get("discussions.Post", 0)
    deleted = Thread.objects.filter(author=user).delete()[1]
    counts["discussions.Thread"] = deleted.get("discussions.Thread", 0)
    counts["discussions.Post"] += deleted.get("discussions.Post", 0)
    return counts


def events_erase(*, learner_id: int) -> Counter:
    """Delete the learner's events in every partition (PostgreSQL), else the table.
    The store has no side tables: de-duplication is the primary key, and the COPY
    staging table is temporary and emptied at every commit."""
    counts: Counter = Counter()
    if connection.vendor != "postgresql":
        counts["tracking.Event"] = Event.objects.filter(learner_id=learner_id)._raw_delete(Event.objects.db)
        return counts
    with connection.cursor() as cursor:
        for name in partitions.partitions_list():
            cursor.execute(f'DELETE FROM "{name}" WHERE learner_id = %s', [learner_id])
            if cursor.rowcount:
                counts[f"tracking.Event ({name})"] = cursor.rowcount
        # Anything not in a partition (there is no default partition; belt and braces).
        cursor.execute(f"DELETE FROM {partitions.TABLE} WHERE learner_id = %s", [learner_id])
        if cursor.rowcount:
            counts["tracking.Event"] = cursor.rowcount
    return counts


def sessions_end(*, user) -> list[str]:
    """Delete the learner's sessions (rows); returns their keys so the cache entries can
    be dropped after the commit."""
    keys = [
        s.session_key
        for s in Session.objects.all().iterator()
        if str(s.get_decoded().get("_auth_user_id")) == str(user.pk)
    ]
    Session.objects.filter(session_key__in=keys).delete()
    return keys


def _names_of(user) -> list[str]:
    """The strings that name the learner in text, longest first (a full name before the
    first name it contains)."""
    names = {user.get_full_name(), user.display_name, user.username, user.email, str(user)}
    return sorted({n.strip() for n in names if n and n.strip()}, key=len, reverse=True)


def admin_log_erase(*, user) -> Counter:
    """The admin history (``django_admin_log``), which no foreign key to the user finds:
    entries whose object is the learner or one of the rows erasure deletes or anonymises
    (enrollments, threads, posts, submissions...) are deleted; any other entry whose
    ``object_repr`` or ``change_message`` names the learner (full name, display name,
    username, e-mail; as a whole word, any case) is redacted to "[deleted]", keeping the
    record of what staff did. One query per table that points at users, whatever the
    learner's number of rows; runs before those rows go."""
    counts: Counter = Counter()
    about = [Q(content_type=ContentType.objects.get_for_model(type(user)), object_id=str(user.pk))]
    for ref in user_references():
        meta = ref.model._meta  # no admin for composite keys (rollups) nor M2M tables
        if (
            ref.rule is None
            or ref.rule.erase not in (DELETE, DISCUSSION)
            or meta.auto_created
            or meta.is_composite_pk
        ):
            continue
        ids = (
            ref.model._default_manager.filter(**{ref.field: user})
            .annotate(cairn_object_id=Cast("pk", TextField()))
            .values("cairn_object_id")
        )
        about.append(Q(content_type=ContentType.objects.get_for_model(ref.model), object_id__in=ids))
    counts[ADMIN_LOG_ABOUT] = LogEntry.objects.filter(reduce(or_, about)).delete()[0]
    names = _names_of(user)
    if names:
        pattern = re.compile("|".join(rf"(?<!\w){re.escape(n)}(?!\w)" for n in names), re.IGNORECASE)
        naming = reduce(or_, (Q(object_repr__icontains=n) | Q(change_message__icontains=n) for n in names))
        for entry in LogEntry.objects.filter(naming).only("object_repr", "change_message"):
            repr_, message = (
                pattern.sub(DELETED, entry.object_repr),
                pattern.sub(DELETED, entry.change_message),
            )
            if (repr_, message) != (entry.object_repr, entry.change_message):
                LogEntry.objects.filter(pk=entry.pk).update(object_repr=repr_[:200], change_message=message)
                counts[ADMIN_LOG_NAMING] += 1
    return counts


def rows_erase(*, user) -> Counter:
    """Every foreign key to the user, by its rule; the user row itself last."""
    counts: Counter = admin_log_erase(user=user)
    for ref in user_references():
        if ref.rule is None:
            raise RuntimeError(f"{ref.key} points at users but has no privacy rule (lms.privacy.inventory)")
        rows = ref.model._default_manager.filter(**{ref.field: user})
        if ref.rule.erase == DELETE:
            counts[ref.label] += rows.delete()[1].get(ref.label, 0)
        elif ref.rule.erase in (SET_NULL, PRIVACY):
            counts[f"{ref.key} (set to null)"] += rows.update(**{ref.field: None})
        elif ref.rule.erase == DISCUSSION and ref.label == "discussions.Thread":
            counts.update(discussions_erase(user=user))
        elif ref.rule.erase == EVENTS:
            counts.update(events_erase(learner_id=user.pk))
    counts["accounts.User"] = type(user).objects.filter(pk=user.pk).delete()[1].get(user._meta.label, 0)
    return +counts  # drop the zeros


def exclusion_record(*, subject: Subject) -> int:
    """Keyed hashes of the username and both pseudonyms: importers drop their records."""
    keys = [erased_key(v) for v in (subject.username, subject.pseudonym, subject.xapi_pseudonym)]
    ErasedLearner.objects.bulk_create([ErasedLearner(key=k) for k in keys], ignore_conflicts=True)
    return len(keys)


def archives_erase(*, user, plan: FilePlan) -> int:
    """The learner's own download archives: deleted after the commit."""
    found = 0
    for request in DataRequest.objects.filter(learner=user).exclude(path=""):
        plan.delete.add(Path(request.path))
        found += 1
    DataRequest.objects.filter(learner=user, kind=DataRequest.Kind.DOWNLOAD).exclude(
        status__in=[DataRequest.Status.FAILED, DataRequest.Status.QUEUED, DataRequest.Status.RUNNING]
    ).update(status=DataRequest.Status.EXPIRED, path="", size=None)
    return found


# --- The recommender's training snapshots (lms.recommendations.registry) -----------------


def snapshots_erase(*, subject: Subject, plan: FilePlan) -> Counter:
    """Scrub the learner from every model version's folder under MODEL_REGISTRY_DIR:
    the exported events a retrain trains on (``events.parquet``, kept by a run that
    failed or is under way), the held-out learner lists and the resumable checkpoint
    (which records the held-out and validation ids). Weights and reports hold no learner."""
    counts: Counter = Counter()
    root = Path(settings.MODEL_REGISTRY_DIR)
    if not root.is_dir():
        return counts
    for path in sorted(root.rglob("*")):
        if not path.is_file() or path.name.startswith(".erasing-"):
            continue
        if path.suffix == ".parquet":
            changed = _parquet_scrub(path, subject.id, plan)
        elif path.name in ("holdout.txt", "holdout_learners.txt"):
            changed = _id_list_scrub(path, subject.id, plan)
        elif path.suffix == ".pt" and path.parent.name == "checkpoints":
            changed = _checkpoint_scrub(path, subject.id, plan)
        else:
            continue
        if changed:
            counts[f"model registry: {path.name}"] += 1
    return counts


def _parquet_scrub(path: Path, learner_id: int, plan: FilePlan) -> bool:
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    table = pq.read_table(path)
    if "learner_id" not in table.column_names:
        return False
    mine = pc.equal(table["learner_id"], learner_id)
    if not pc.any(mine).as_py():
        return False
    pq.write_table(table.filter(pc.invert(mine)), plan.scrubbed_copy(path), compression="zstd")
    return True


def _id_list_scrub(path: Path, learner_id: int, plan: FilePlan) -> bool:
    lines = path.read_text().splitlines()
    kept = [line for line in lines if line.split("#", 1)[0].strip() != str(learner_id)]
    if len(kept) == len(lines):
        return False
    plan.scrubbed_copy(path).write_text("".join(f"{line}\n" for line in kept))
    return True


def _checkpoint_scrub(path: Path, learner_id: int, plan: FilePlan) -> bool:
    import torch

    state = torch.load(path, map_location="cpu", weights_only=True)
    if not isinstance(state, dict):
        return False
    changed = False
    for key in ("holdout_ids", "valid_ids"):  # the held-out and the validation learners
        ids = state.get(key)
        if ids and learner_id in ids:
            state[key] = [i for i in ids if i != learner_id]
            changed = True
    if changed:
        torch.save(state, plan.scrubbed_copy(path))
    return changed
