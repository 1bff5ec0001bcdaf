"""Rate limits: fixed-window counters in the Django cache (Redis in production, the
process's memory for ``make run``).

    login = rate_limited(("login-ip", by_ip), ("login-username", by_posted("username")))(view)

Each limit names a rate in ``settings.RATE_LIMITS`` ("30/m", "10/15m", "10/h") and a key
function of the request (``None``: the limit does not apply to this request). Only the
methods in ``methods`` (POST by default) are counted. Over the limit the view is not
called: the answer is 429 with Retry-After, JSON under ``/api/`` and an HTML page
elsewhere. When the cache is unreachable the counters read as empty (see
``lms.core.cache``), so limits fail open rather than refuse everyone.
"""

from __future__ import annotations

import functools
import hashlib
import logging
import re
import time
from collections.abc import Callable

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import render

log = logging.getLogger(__name__)

KeyFunc = Callable[[HttpRequest], str | None]
_UNITS = {"s": 1, "m": 60, "h": 3600, "d": 86400}
_RATE = re.compile(r"^\s*(\d+)\s*/\s*(\d*)\s*([smhd])\s*$")


def parse_rate(rate: str) -> tuple[int, int]:
    """``"10/15m"`` -> ``(10, 900)``: how many requests per how many seconds."""
    match = _RATE.match(rate)
    if not match:
        raise ValueError(f"rate {rate!r} is not <count>/<period>, e.g. 30/m, 10/15m, 100/h")
    count, multiplier, unit = match.groups()
    return int(count), int(multiplier or 1) * _UNITS[unit]


def by_ip(request: HttpRequest) -> str:
    header = settings.RATE_LIMIT_IP_HEADER
    if header:
        forwarded = [part.strip() for part in request.headers.get(header, "").split(",") if part.strip()]
        if forwarded:
            return forwarded[-1]  # the address our own proxy saw (the left ones are client-supplied)
    return request.META.get("REMOTE_ADDR", "")


def by_user(request: HttpRequest) -> str | None:
    user = getattr(request, "user", None)
    return str(user.pk) if user is not None and user.is_authenticated else None


def by_posted(field: str) -> KeyFunc:
    """The value of a posted form field, case-folded (a username being guessed)."""

    def key(request: HttpRequest) -> str | None:
        value = request.POST.get(field, "").strip().casefold()
        return value or None

    return key


def rate_hit(scope: str, key: str) -> int | None:
    """Count one request of ``key`` against ``scope``; the seconds to wait when over."""
    limit, window = parse_rate(settings.RATE_LIMITS[scope])
    now = int(time.time())
    start = now - now % window
    digest = hashlib.sha256(key.encode()).hexdigest()[:32]
    counter = f"ratelimit:{scope}:{digest}:{start}"
    cache.add(counter, 0, timeout=window + 1)
    try:
        count = cache.incr(counter)
    except ValueError:  # the key expired in between, or the cache is unreachable: fail open
        count = 1
    if count <= limit:
        return None
    return max(1, start + window - now)


def too_many_requests(request: HttpRequest, wait: int) -> HttpResponse:
    message = f"Too many requests. Try again in {wait} seconds."
    if request.path.startswith("/api/"):
        response = JsonResponse({"error": message}, status=429)
    else:
        response = render(request, "429.html", {"message": message, "wait": wait}, status=429)
    response["Retry-After"] = str(wait)
    return response


def rate_limited(*limits: tuple[str, KeyFunc], methods: tuple[str, ...] = ("POST",)):
    """Wrap a view (function, or a class-based view's ``as_view()``) with ``limits``."""
    for scope, _ in limits:
        parse_rate(settings.RATE_LIMITS[scope])  # a bad rate fails at import, not per request

    def decorate(view):
        @functools.wraps(view)
        def limited(request: HttpRequest, *args, **kwargs):
            if request.method in methods:
                for scope, key_func in limits:
                    key = key_func(request)
                    wait = rate_hit(scope, key) if key is not None else None
                    if wait is not None:
                        log.warning("rate limit %s hit by %s on %s", scope, by_ip(request), request.path)
                        return too_many_requests(request, wait)
            return view(request, *args, **kwargs)

        return limited

    return decorate
