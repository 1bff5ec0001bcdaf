"""Health endpoints as a load balancer and the staff pages poll them: ``GET /healthz``
(liveness) and ``GET /healthz/ready`` (readiness, every part), N calls each through
Django's test client and over HTTP to gunicorn (one sync worker), with a real Celery
worker (threads pool) consuming from Redis. Target (issue 19): both answer in <= 50 ms."""

from __future__ import annotations

import os
import statistics
import subprocess
import time
import urllib.error
import urllib.request

from celery.contrib.testing.worker import start_worker
from django.test import Client

from lms.celery import app

from .ingest_http import CACHE_URL, _free_port, _start_gunicorn

N = int(os.environ.get("BENCH_HEALTH_N", "200"))
PATHS = ["/healthz", "/healthz/ready"]


def _percentiles(samples: list[float]) -> tuple[float, float]:
    ordered = sorted(samples)
    return statistics.median(ordered) * 1000, ordered[max(int(len(ordered) * 0.99) - 1, 0)] * 1000


def _get(url: str) -> int:
    try:
        with urllib.request.urlopen(url, timeout=30) as response:
            response.read()
            return response.status
    except urllib.error.HTTPError as error:
        error.read()
        return error.code


def _time(call) -> tuple[list[float], set[int]]:
    call()  # warm-up: imports, the first connection, the model lookup
    samples, statuses = [], set()
    for _ in range(N):
        t0 = time.perf_counter()
        statuses.add(call())
        samples.append(time.perf_counter() - t0)
    return samples, statuses


def run() -> None:
    from lms.labs.grading import selftest

    rows = []
    with start_worker(
        app, pool="threads", concurrency=1, perform_ping_check=False, queues=["default", "grading"]
    ):
        selftest(force=True)  # as a grading worker does on `worker_ready`
        time.sleep(1)  # the worker's first heartbeat
        client = Client()
        for path in PATHS:
            if client.get(path).status_code == 404:
                continue  # the code under test has no such endpoint
            samples, statuses = _time(lambda path=path: client.get(path).status_code)
            rows.append((f"`GET {path}`, Django test client", samples, statuses))
        port = _free_port()
        server = _start_gunicorn(port, CACHE_URL)
        try:
            for path in PATHS:
                url = f"http://127.0.0.1:{port}{path}"
                if _get(url) == 404:
                    continue
                samples, statuses = _time(lambda url=url: _get(url))
                rows.append((f"`GET {path}`, HTTP to gunicorn (1 sync worker)", samples, statuses))
        finally:
            server.terminate()
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                server.kill()
    print(f"| measure (n={N}) | statuses | p50 ms | p99 ms |")
    print("|---|---|---|---|")
    for label, samples, statuses in rows:
        p50, p99 = _percentiles(samples)
        print(f"| {label} | {', '.join(map(str, sorted(statuses)))} | {p50:.2f} | {p99:.2f} |")
