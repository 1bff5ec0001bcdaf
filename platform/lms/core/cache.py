"""A Redis cache that degrades instead of failing when Redis is unreachable.

Django's ``RedisCache`` raises ``redis.ConnectionError`` from every call while Redis is
down, and the cache sits under every request (cached sessions, rate limits, the
navigation). :class:`DegradingRedisCache` logs a warning (at most one every
``WARN_EVERY`` seconds per process) and behaves as an empty cache that keeps nothing:
reads miss, writes are dropped, ``incr`` finds no key. Sessions then come from the
database, and rate limits fail open. :meth:`ping` raises, for ``/healthz/ready``.
"""

from __future__ import annotations

import functools
import logging
import time

from django.core.cache.backends.base import DEFAULT_TIMEOUT
from django.core.cache.backends.redis import RedisCache
from redis.exceptions import RedisError

log = logging.getLogger(__name__)
WARN_EVERY = 30.0


class DegradingRedisCache(RedisCache):
    _warned_at = -WARN_EVERY

    def _down(self, operation: str, exc: Exception) -> None:
        now = time.monotonic()
        if now - DegradingRedisCache._warned_at >= WARN_EVERY:
            DegradingRedisCache._warned_at = now
            log.warning("cache unavailable (%s: %s): serving without it", operation, exc)

    def ping(self) -> bool:
        """Raise when Redis does not answer (the health check's probe)."""
        return self._cache.get_client(write=True).ping()

    def get(self, key, default=None, version=None):
        try:
            return super().get(key, default, version)
        except RedisError as exc:
            self._down("get", exc)
            return default

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except RedisError as exc:
            self._down("set_many", exc)
            return list(data)  # the keys that were not stored

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except RedisError as exc:
            self._down("incr", exc)
            raise ValueError(f"Key '{key}' not found (the cache is unavailable)") from exc


def _degrading(name: str, fallback):
    """``RedisCache.<name>``, answering ``fallback`` (a fresh copy) while Redis is down."""
    method = getattr(RedisCache, name)

    @functools.wraps(method)
    def call(self, *args, **kwargs):
        try:
            return method(self, *args, **kwargs)
        except RedisError as exc:
            self._down(name, exc)
            return type(fallback)() if isinstance(fallback, dict) else fallback

    return call


# The rest of the cache API: what an empty cache that keeps nothing would answer.
for _name, _fallback in {"get_many": {}, "has_key": False, "add": False, "set": None, "touch": False,
                         "delete": False, "delete_many": None, "clear": False}.items():  # fmt: skip
    setattr(DegradingRedisCache, _name, _degrading(_name, _fallback))
