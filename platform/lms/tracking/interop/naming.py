"""The names and ids Cairn derives for imported and exported records: slugs of external
keys (``external_slug``, ``readable_slug``, ``digested_slug``), uuid5 event ids of lines
that carry none (``stable_id``, ``stable_ids``), the learner pseudonym of exported data
and this site's URL.
"""

from __future__ import annotations

import hashlib
import hmac
import re
import uuid

import numpy as np
from django.conf import settings

# Fixed namespace of every uuid5 Cairn derives (event ids of imported lines, statement ids).
NAMESPACE = uuid.UUID("6f0c1a2e-5d1b-5b8e-9c44-cafe0c0ffee1")

_SLUG_OK = re.compile(r"[-a-zA-Z0-9_]+")
NOT_SLUG = re.compile(r"[^a-z0-9_]+")


def digest(text: str, n: int = 8) -> str:
    return hashlib.sha1(text.encode("utf-8")).hexdigest()[:n]


def external_slug(prefix: str, key: str) -> str:
    """A stable, readable, collision-safe slug for an external key, at most 80 characters:
    ``edx-course-v1-mitx-6-00x-2016_t1-1a2b3c4d``."""
    base = NOT_SLUG.sub("-", key.lower()).strip("-_") or "x"
    return f"{prefix}-{base[: 80 - len(prefix) - 10].rstrip('-_')}-{digest(key)}"


def slug_like(key: str) -> bool:
    return 0 < len(key) <= 80 and _SLUG_OK.fullmatch(key) is not None


def readable_slug(key: str) -> str:
    """The key itself when it is a slug (``assist2015``, ``q52``), else its slugified
    form (``Box and Whisker`` -> ``box-and-whisker``), at most 80 characters."""
    if slug_like(key):
        return key
    return NOT_SLUG.sub("-", key.lower()).strip("-_")[:80].strip("-_") or "x"


def digested_slug(key: str, scope: str) -> str:
    """``readable_slug(key)`` plus a digest of ``scope`` (which names the key fully):
    the slug of a key whose readable slug belongs to another key."""
    return f"{readable_slug(key)[:71].rstrip('-_')}-{digest(scope)}"


_NAMESPACE_BYTES = NAMESPACE.bytes
_VARIANT = {f"{d:x}": f"{(d & 0x3) | 0x8:x}" for d in range(16)}


def stable_id(text: str | bytes) -> str:
    """uuid5(NAMESPACE, text): the id of an imported line whose source gave it none
    (the same string ``str(uuid.uuid5(NAMESPACE, text))`` gives, formatted without
    building a UUID object: this runs once per imported line)."""
    data = text if isinstance(text, bytes) else text.encode("utf-8")
    h = hashlib.sha1(_NAMESPACE_BYTES + data).hexdigest()
    return f"{h[:8]}-{h[8:12]}-5{h[13:16]}-{_VARIANT[h[16]]}{h[17:20]}-{h[20:32]}"


def stable_ids(texts: list[str]) -> bytes:
    """The bytes of ``stable_id`` of each text, concatenated (16 a text): a table's event
    ids, a chunk at a time."""
    prefix = _NAMESPACE_BYTES
    sha1 = hashlib.sha1
    data = (
        np.frombuffer(b"".join([sha1(prefix + t.encode("utf-8")).digest()[:16] for t in texts]), np.uint8)
        .reshape(-1, 16)
        .copy()
    )
    data[:, 6] = (data[:, 6] & 0x0F) | 0x50  # version 5
    data[:, 8] = (data[:, 8] & 0x3F) | 0x80  # RFC 4122 variant
    return data.tobytes()


def xapi_learner_pseudonym(learner_id: int) -> str:
    """A stable pseudonymous id for a learner in exported data (never the username)."""
    key = settings.SECRET_KEY.encode("utf-8")
    return hmac.new(key, f"cairn-learner:{learner_id}".encode(), hashlib.sha256).hexdigest()[:32]


def site_url() -> str:
    return getattr(settings, "SITE_URL", "") or "https://cairn.invalid"
