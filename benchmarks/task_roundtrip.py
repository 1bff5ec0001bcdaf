"""Celery task round-trip latency through Redis to a real worker, beside the raw floor:
a Redis request/response on the same connection kind (LPUSH + BRPOP by a peer thread)."""

import statistics
import threading
import time
import uuid

import redis
from celery.contrib.testing.worker import start_worker
from django.conf import settings

from lms.celery import app
from lms.core.tasks import probe

N = 300


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[int(len(ordered) * 0.99) - 1] * 1000


def _raw_redis_roundtrips() -> list[float]:
    client = redis.Redis.from_url(settings.CELERY_BROKER_URL)
    key_in, key_out = f"bench:{uuid.uuid4().hex}:in", f"bench:{uuid.uuid4().hex}:out"

    def echo() -> None:
        peer = redis.Redis.from_url(settings.CELERY_BROKER_URL)
        for _ in range(N):
            _, value = peer.brpop(key_in)
            peer.lpush(key_out, value)

    thread = threading.Thread(target=echo)
    thread.start()
    samples = []
    for i in range(N):
        t0 = time.perf_counter()
        client.lpush(key_in, i)
        client.brpop(key_out)
        samples.append(time.perf_counter() - t0)
    thread.join()
    return samples


def run() -> None:
    if not settings.CELERY_BROKER_URL.startswith("redis://"):
        raise SystemExit("task_roundtrip needs CELERY_BROKER_URL=redis://... (make bench sets it)")
    with start_worker(app, pool="threads", concurrency=1, perform_ping_check=False):
        probe.delay("warm-up").get(timeout=30)
        samples = []
        for i in range(N):
            t0 = time.perf_counter()
            probe.delay(str(i)).get(timeout=30)
            samples.append(time.perf_counter() - t0)
    raw = _raw_redis_roundtrips()
    p50, p99 = _percentiles(samples)
    r50, r99 = _percentiles(raw)
    print("| measure | p50 ms | p99 ms |")
    print("|---|---|---|")
    print(
        f"| Celery probe task round-trip (worker in-process, threads pool), n={N} | {p50:.2f} | {p99:.2f} |"
    )
    print(f"| raw Redis LPUSH/BRPOP echo via a peer thread, n={N} | {r50:.2f} | {r99:.2f} |")
    print(f"| ratio task / raw (p50) | {p50 / r50:.1f}x | |")
