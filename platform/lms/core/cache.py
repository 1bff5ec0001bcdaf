"""A Redis cache that degrades instead of failing when Redis is unreachable.

Django's ``RedisCache`` raises ``redis.ConnectionError`` from every call while Redis is
down, and the cache sits under every request (cached sessions, rate limits, the
navigation). :class:`DegradingRedisCache` logs a warning (at most one every
``WARN_EVERY`` seconds per process) and behaves as an empty cache that keeps nothing:
reads miss, writes are dropped, ``incr`` finds no key. Sessions then come from the
database, and rate limits fail open. :meth:`ping` raises, for ``/healthz``.
"""

from __future__ import annotations

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

    def get_many(self, keys, version=None):
        try:
            return super().get_many(keys, version)
        except RedisError as exc:
            self._down("get_many", exc)
            return {}

    def has_key(self, key, version=None):
        try:
            return super().has_key(key, version)
        except RedisError as exc:
            self._down("has_key", exc)
            return False

    def add(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().add(key, value, timeout, version)
        except RedisError as exc:
            self._down("add", exc)
            return False

    def set(self, key, value, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            super().set(key, value, timeout, version)
        except RedisError as exc:
            self._down("set", exc)

    def set_many(self, data, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().set_many(data, timeout, version)
        except RedisError as exc:
            self._down("set_many", exc)
            return list(data)  # the keys that were not stored

    def touch(self, key, timeout=DEFAULT_TIMEOUT, version=None):
        try:
            return super().touch(key, timeout, version)
        except RedisError as exc:
            self._down("touch", exc)
            return False

    def delete(self, key, version=None):
        try:
            return super().delete(key, version)
        except RedisError as exc:
            self._down("delete", exc)
            return False

    def delete_many(self, keys, version=None):
        try:
            super().delete_many(keys, version)
        except RedisError as exc:
            self._down("delete_many", exc)

    def incr(self, key, delta=1, version=None):
        try:
            return super().incr(key, delta, version)
        except RedisError as exc:
            self._down("incr", exc)
            raise ValueError(f"Key '{key}' not found (the cache is unavailable)") from exc

    def clear(self):
        try:
            return super().clear()
        except RedisError as exc:
            self._down("clear", exc)
            return False
