"""Privacy at the door of the edX import: what is kept of a tracking-log line's request
fields and of an event passed through as ``external.edx``.

- The line's ``ip``, ``agent``, ``referer``, ``host`` and ``accept_language`` are never
  stored; a page view keeps the *class* of the device (``device_class``) and of the
  referrer (``referrer_class``), both cached per distinct value (10,000 at most).
- A passed-through event keeps the edX event with identity and personal keys dropped at
  every depth (``EDX_PERSONAL_KEYS``), e-mail addresses removed by the one scrubber
  (``validation.payload_scrub``), and bounded (``bounded``: ``PASS_MAX_*``), so any line
  fits the store's bounds (``bounds.py``) and is stored, never refused.
"""

from __future__ import annotations

import math
import re
from typing import Any

from lms.tracking.validation import payload_scrub

from .records import STRIP_KEYS

# Never kept from an edX event, at any depth: who did it or whom it is about (beside
# STRIP_KEYS, the scrubber's personal keys).
EDX_PERSONAL_KEYS = STRIP_KEYS | {
    "target_username", "anonymous_student_id", "anonymous_user_id", "student", "student_id",
    "student_username", "author", "author_username", "username_hash", "ip_address", "remote_ip",
    "client_ip", "user_agent_string", "referrer", "http_referer", "attempt_user_id", "scorer_id",
    "requesting_student_id", "requesting_staff_id", "instructor_id", "student_user_id",
}  # fmt: skip
# Text a learner wrote in a forum post or a note: mapped events keep its length only.
TEXT_KEYS = frozenset(
    {"body", "title", "note_text", "old_note_text", "highlighted_content", "tags", "old_tags"}
)
# Pass-through events: what is kept of the edX event (the bounds of vocabulary payloads
# are far inside the store's: bounds.py)
PASS_MAX_STRING = 1000  # characters of one string
PASS_MAX_ITEMS = 50  # items of a list, keys of an object
PASS_MAX_DEPTH = 6  # nesting levels
PASS_MAX_CHARS = 16_000  # characters in all; what is past it is dropped
_HOST = re.compile(r"^[a-zA-Z][a-zA-Z0-9+.-]*://(?:[^@/?#]*@)?([^/?#:]*)")
_SEARCH_LABELS = frozenset(
    {"google", "bing", "duckduckgo", "yahoo", "baidu", "yandex", "ecosia", "naver", "qwant"}
)
_SOCIAL_LABELS = frozenset({
    "facebook", "twitter", "linkedin", "reddit", "youtube", "instagram", "weibo", "whatsapp",
    "telegram", "mastodon", "tiktok", "pinterest", "wechat",
})  # fmt: skip
_SOCIAL_HOSTS = frozenset({"t.co", "x.com", "lnkd.in", "t.me", "vk.com", "fb.me", "youtu.be"})
MAX_CACHED = 10_000  # distinct agents, (referrer, host) pairs remembered
_DEVICES: dict[str, str] = {}  # user agent -> device class (a log has few distinct agents)
_REFERRERS: dict[tuple[str, Any], str] = {}  # (referer, host) -> class


def _remember(cache: dict, key: Any, known: str) -> None:
    """Keep a computed class for the next line with the same value, while the cache holds
    fewer than ``MAX_CACHED`` values."""
    if len(cache) < MAX_CACHED:
        cache[key] = known


def device_class(agent: Any) -> str | None:
    """The device class of a user agent: app (edX mobile apps), bot, tablet, mobile,
    desktop; None without one. The agent itself is never stored."""
    if not isinstance(agent, str) or not agent:
        return None
    known = _DEVICES.get(agent)
    if known is None:
        low = agent.lower()
        if "edx/org.edx.mobile" in low or low.startswith("edx/") or "okhttp" in low:
            known = "app"
        elif any(word in low for word in ("bot", "spider", "crawl", "slurp", "curl/", "python-requests")):
            known = "bot"
        elif "ipad" in low or "tablet" in low or ("android" in low and "mobile" not in low):
            known = "tablet"
        elif "mobi" in low or "iphone" in low or "android" in low:
            known = "mobile"
        else:
            known = "desktop"
        _remember(_DEVICES, agent, known)
    return known


def referrer_class(referer: Any, host: Any) -> str | None:
    """The class of a referring URL: same-site (the line's host, or a relative URL),
    search, social or other; None without one. The URL itself is never stored."""
    if not isinstance(referer, str) or not referer:
        return None
    key = (referer, host)
    known = _REFERRERS.get(key)
    if known is not None:
        return known
    match = _HOST.match(referer)
    name = match.group(1).lower().rstrip(".") if match else ""
    own = host.lower().split(":", 1)[0] if isinstance(host, str) else ""
    labels = set(name.split("."))
    if not name:
        known = "same-site" if referer.startswith("/") else "other"
    elif name == own or (own and name.endswith("." + own)):
        known = "same-site"
    elif labels & _SEARCH_LABELS:
        known = "search"
    elif labels & _SOCIAL_LABELS or name.removeprefix("www.") in _SOCIAL_HOSTS:
        known = "social"
    else:
        known = "other"
    _remember(_REFERRERS, key, known)
    return known


def _clean_string(value: str, limit: int) -> str:
    if len(value) > limit:
        value = value[: limit - 1] + "\u2026"
    if "\x00" in value:
        value = value.replace("\x00", "")
    if not value.isascii():
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:  # a lone surrogate: not Unicode, jsonb refuses it
            value = value.encode("utf-8", "replace").decode("utf-8")
    return value


def bounded(value: Any, depth: int, budget: list[int]) -> Any:
    """``value`` within the pass-through bounds, its personal keys dropped at any depth."""
    if budget[0] <= 0:
        return None
    if isinstance(value, str):
        value = _clean_string(value, min(PASS_MAX_STRING, max(budget[0], 1)))
        budget[0] -= len(value)
        return value
    if isinstance(value, bool) or value is None or isinstance(value, int):
        budget[0] -= 8
        return value
    if isinstance(value, float):
        budget[0] -= 8
        return value if math.isfinite(value) else None
    if depth >= PASS_MAX_DEPTH:
        return "[nested too deeply]"
    if isinstance(value, dict):
        out = {}
        for key, item in value.items():
            if len(out) >= PASS_MAX_ITEMS or budget[0] <= 0:
                break
            if key in EDX_PERSONAL_KEYS:
                continue
            key = _clean_string(str(key), 200)
            budget[0] -= len(key)
            out[key] = bounded(item, depth + 1, budget)
        return out
    if isinstance(value, list):
        return [bounded(item, depth + 1, budget) for item in value[:PASS_MAX_ITEMS] if budget[0] > 0]
    return None


def passthrough_event(event: Any) -> Any:
    """An edX event as an ``external.edx`` payload keeps it: personal keys dropped at
    every depth, e-mail addresses removed (``validation.payload_scrub``), and bounded
    (``PASS_MAX_*``: 1,000 characters a string, 50 items a list or object, 6 levels,
    16,000 characters in all), so any edX event fits the store's bounds."""
    kept = bounded(event, 1, [PASS_MAX_CHARS])
    return payload_scrub({"event": kept})["event"]
