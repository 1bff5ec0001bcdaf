"""Read side: a learner's requests, their records for the download, and the exclusion
list of erased learners."""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from django.db import models
from django.db.models import QuerySet
from django.utils.crypto import salted_hmac

from .inventory import EVENTS, user_references
from .models import DataRequest, ErasedLearner

ERASED_SALT = "cairn-erased-learner"
# Fields never put in a download: secrets, not data about the learner.
SECRET_FIELDS = {"password"}


def erased_key(identifier: str) -> str:
    """The exclusion-list key of a username or pseudonym (HMAC-SHA256 keyed by SECRET_KEY)."""
    return salted_hmac(ERASED_SALT, identifier, algorithm="sha256").hexdigest()


def erased_among(identifiers: Iterable[str], *, known: dict[str, str] | None = None) -> set[str]:
    """Those of ``identifiers`` (usernames, pseudonyms) that belong to an erased learner.
    ``known`` (identifier -> key), kept by a caller that asks again and again (an import,
    chunk by chunk), saves computing a key twice; the list itself is read every time."""
    if known is None:
        keys = {erased_key(i): i for i in identifiers if i}
    else:
        keys = {}
        for i in identifiers:
            if i:
                key = known.get(i)
                if key is None:
                    key = known[i] = erased_key(i)
                keys[key] = i
    if not keys:
        return set()
    erased = ErasedLearner.objects.values_list("key", flat=True)
    if len(keys) > 100 and erased.count() <= len(keys):  # a short list: read it whole
        return {keys[key] for key in erased if key in keys}
    return {keys[key] for key in erased.filter(key__in=keys)}


def data_requests_for(*, user) -> QuerySet[DataRequest]:
    return DataRequest.objects.filter(learner=user).order_by("-created")


def data_request_of(*, user, request_id) -> DataRequest | None:
    """The user's own request, or None (someone else's request is "not found")."""
    return DataRequest.objects.filter(pk=request_id, learner=user).first()


def _row(obj: models.Model, fields: list[models.Field]) -> dict[str, Any]:
    row: dict[str, Any] = {}
    for field in fields:
        if field.name in SECRET_FIELDS:
            continue
        row[field.attname] = getattr(obj, field.attname)
        if field.is_relation:  # name catalog rows too (readable without ids)
            related = getattr(obj, field.name)
            for attribute in ("slug", "starts"):  # courses and activities; a course session
                if hasattr(related, attribute):
                    row[f"{field.name}_{attribute}"] = getattr(related, attribute)
    return row


def learner_records(*, user) -> dict[str, list[dict[str, Any]]]:
    """Every row of the exported tables that belongs to ``user``, by "app.Model"
    (``lms.privacy.inventory``: each foreign key to the user with an exported rule)."""
    records: dict[str, list[dict[str, Any]]] = {}
    for ref in user_references():
        if ref.rule is None or not ref.rule.export or ref.rule.erase == EVENTS:
            continue
        fields = list(ref.model._meta.concrete_fields)
        related = [f.name for f in fields if f.is_relation and f.related_model is not type(user)]
        queryset = ref.model._default_manager.filter(**{ref.field: user}).select_related(*related)
        records.setdefault(ref.label, []).extend(_row(obj, fields) for obj in queryset)
    return records
