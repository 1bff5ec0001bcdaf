"""The one scrubber of personal data in events: run on every event before it is stored
(``validation.event_clean``) and on every event on its way out (``interop.export``: the
Parquet, edX and xAPI files, and so every analysts' export and data download built from
them), so rows stored before a rule existed are cleaned too.

What it removes, at every depth of a payload:

- **personal keys** (``PERSONAL_KEYS``), compared case- and punctuation-insensitively
  (``Name``, ``E-Mail``, ``fullName``, ``User-Agent``): the key and its value are
  dropped, in nested objects and in objects inside lists. One exception: the ``name`` of
  each graded test in a ``lab.graded`` payload is a test's name, not a person's;
- **e-mail addresses** in any string (values, keys, strings inside lists after numbers
  or inside nested lists), plain or URL-encoded (``alice%40example.com``,
  ``alice%2Btag%40example.com``, double encoded ``%2540``): replaced by
  ``[e-mail removed]``;
- **personal query parameters** in URLs and form-encoded text
  (``/page?email=...&name=Ada+Lovelace``): the value replaced by ``[removed]``.

The event's ``session`` string gets the same string rules. The work is bounded: the
walk stops at ``bounds.MAX_DEPTH`` (a container nested deeper is replaced by
``[removed: nested too deeply]``; ingestion refuses such payloads before this runs, an
old stored row may hold one) and strings are scanned at most ``bounds.MAX_STRING_CHARS``
characters at a time by linear regular expressions.
"""

from __future__ import annotations

import re
from functools import lru_cache
from itertools import chain
from typing import Any
from urllib.parse import unquote_plus

from .bounds import MAX_DEPTH

# Who did it: an event naming someone else by these is refused (validation.py).
IDENTITY_KEYS = frozenset({"actor", "user", "username", "user_id", "learner", "learner_id"})
# Never stored in a payload, at any depth: who did it, and how to reach or find them.
PERSONAL_KEYS = IDENTITY_KEYS | {
    "email", "e_mail", "email_address", "mbox", "mbox_sha1sum", "name", "full_name", "first_name",
    "last_name", "given_name", "family_name", "surname", "display_name", "name_hash", "ip",
    "ip_address", "remote_addr", "agent", "user_agent", "host", "referer", "referrer",
    "accept_language", "phone", "address",
}  # fmt: skip
EMAIL_REMOVED = "[e-mail removed]"
VALUE_REMOVED = "[removed]"
TOO_DEEP = "[removed: nested too deeply]"
# Verbs whose ``tests`` list holds graded tests: their ``name`` is the test's.
TEST_NAME_VERBS = frozenset({"lab.graded"})
_TEST_KEYS = frozenset({"name"})


def _folded(key: str) -> str:
    """``E-Mail``, ``e_mail``, ``eMail`` -> ``email``: keys compared without case or punctuation."""
    return _NOT_ALNUM.sub("", key.lower())


_NOT_ALNUM = re.compile(r"[^a-z0-9]+")
_PERSONAL_FOLDED = frozenset(_folded(k) for k in PERSONAL_KEYS)
# An address, its "@" possibly percent-encoded once or twice, its local part possibly
# holding percent-escapes (%2B is "+"). The look-behind starts a match only where a run
# of address characters starts, so a long run without "@" is read once, not once per
# character (linear, not quadratic, in the string's length).
_EMAIL = re.compile(
    r"(?<![\w.+%-])(?:[\w.+-]|%[0-9a-f]{2})+(?:@|%40|%2540)[\w-]+(?:\.[\w-]+)+", re.IGNORECASE
)
# key=value in a query string or a form body: after ?, &, ; or at the start of the text.
_PARAM = re.compile(r"(^|[?&;])([^=&?#;\s]{1,64})=([^&#;\s]*)")


def personal_key(key: str) -> bool:
    return _folded(key) in _PERSONAL_FOLDED


@lru_cache(maxsize=8192)
def _key_rule(key: str) -> str | None:
    """What a payload key becomes: None (a personal key: dropped) or the key scrubbed.
    Keys repeat across events (``position``, ``edx_type``), so the answer is remembered."""
    return None if personal_key(key) else text_scrub(key)


def _param(match: re.Match) -> str:
    lead, key, value = match.groups()
    if value and personal_key(unquote_plus(key)):
        return f"{lead}{key}={VALUE_REMOVED}"
    return match.group(0)


def _text_once(value: str) -> str:
    if "=" in value:  # first: a removed address holds a space, which ends a parameter
        value = _PARAM.sub(_param, value)
    if "@" in value or "%" in value:
        value = _EMAIL.sub(EMAIL_REMOVED, value)
    return value


def text_scrub(value: str) -> str:
    """``value`` without e-mail addresses (plain or URL-encoded) and without the values
    of personal query parameters; the same string when it holds neither."""
    cleaned = _text_once(value)
    if "%" in cleaned:
        # An encoding the patterns do not read (email%3Dalice..., %61lice%2540...): decode
        # twice, and if the decoded text names someone, keep it, scrubbed, instead.
        decoded = unquote_plus(unquote_plus(cleaned))
        if decoded != cleaned:
            scrubbed = _text_once(decoded)
            if scrubbed != decoded:
                return scrubbed
    return cleaned


def session_scrub(session: str, *, max_chars: int = 64) -> str:
    """The event's session id by the same string rules (a client sets it freely)."""
    return text_scrub(session)[:max_chars] if session else session


def _numbers_only(items: list) -> bool:
    """Whether ``items`` holds only numbers, or only lists of numbers (played segments):
    one C-level ``sum`` instead of a Python step per item (a string or None raises)."""
    try:
        if items and type(items[0]) is list:
            if set(map(type, items)) != {list}:
                return False
            sum(chain.from_iterable(items))
        else:
            sum(items)
    except TypeError:
        return False
    return True


def _scrub(value: Any, depth: int, keep: frozenset = frozenset()) -> Any:
    """``value`` scrubbed; ``depth`` is its nesting level (the payload is 1), ``keep``
    the personal-looking keys this one object may keep."""
    kind = type(value)
    if kind is str:
        return text_scrub(value)
    if kind is dict:
        if depth > MAX_DEPTH:
            return TOO_DEEP
        out = {}
        for key, item in value.items():
            key = key if type(key) is str else str(key)
            if key in keep:
                out[text_scrub(key)] = _scrub(item, depth + 1)
            elif (kept := _key_rule(key) if len(key) <= 64 else _key_rule.__wrapped__(key)) is not None:
                out[kept] = _scrub(item, depth + 1)
        return out
    if kind is list or kind is tuple:
        if depth > MAX_DEPTH:
            return TOO_DEEP
        if _numbers_only(value):
            return value  # scores, played segments: nothing to read
        return [_scrub(item, depth + 1) for item in value]
    return value


def payload_scrub(payload: dict[str, Any], *, verb: str = "") -> dict[str, Any]:
    """The payload without personal keys, e-mail addresses or personal query
    parameters, at any depth (see the module's docstring)."""
    if not isinstance(payload, dict):
        return {}
    tests = payload.get("tests") if verb in TEST_NAME_VERBS else None
    if not isinstance(tests, list):
        return _scrub(payload, 1)
    out = _scrub({k: v for k, v in payload.items() if k != "tests"}, 1)
    out["tests"] = [
        _scrub(test, 3, keep=_TEST_KEYS) if type(test) is dict else _scrub(test, 3) for test in tests
    ]
    return out
