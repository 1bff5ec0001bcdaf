"""Serving the recommender (issue 8 targets):

- inference for one learner with 200 events: median and p99 of ``Recommender.predict``
  (target <= 5 ms on CPU);
- ``GET /api/v1/me/next-steps`` under 50 concurrent learners (wrk, gunicorn, 2 cores):
  p50 / p99 latency (target p99 <= 30 ms), twice. With the cache (Redis), as served: a
  learner who asks again with nothing new since is answered from the cache, and only
  the ``recommendation.shown`` event is written. With no cache (``dummycache://``), every
  request is the full path: the learner's progress, their last 200 events, the model,
  the policy, and the event.

Setup: course 1 imported, a simulated cohort (seed 77), a model trained on it and made
active (a version already active is reused). Everything the benchmark creates is left
for inspection under the ``sim77-`` learners.
"""

from __future__ import annotations

import io
import os
import re
import signal
import subprocess
import tempfile
import time
import urllib.request

from django.core.management import call_command
from django.db import connection
from django.test import Client

from lms.accounts.models import User
from lms.courses.models import Course
from lms.recommendations.models import ModelVersion
from lms.recommendations.registry import model_activate, retrain_request

from .ingest_http import CACHE_URL, _free_port, _start_gunicorn

CLIENTS = 50
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
COURSE = "neural-networks-deep-learning"
LUA = r"""
local cookies = {%(cookies)s}
local n = 0
function setup(thread) n = n + 1; thread:set("id", n) end
local i = 0
function request()
  i = i + 1
  local cookie = cookies[((id * 7919 + i) %% #cookies) + 1]
  return wrk.format("GET", "/api/v1/me/next-steps", {["Cookie"] = "sessionid=" .. cookie})
end
"""


def _setup() -> list[str]:
    if not Course.objects.filter(slug=COURSE).exists():
        call_command("import_course", "--all", stdout=io.StringIO())
    if not User.objects.filter(username__startswith="sim77-").exists():
        call_command("simulate_cohort", "--course", COURSE, "--learners", "600", "--days", "42", "--seed", "77",
                     "--no-stats", stdout=io.StringIO())  # fmt: skip
    if not ModelVersion.objects.filter(status=ModelVersion.Status.ACTIVE).exists():
        from recommender.train import TrainConfig

        version = retrain_request(run_now=True, train_config=TrainConfig(epochs=3))
        version.refresh_from_db()  # the pipeline may have promoted it already
        if version.status == ModelVersion.Status.CANDIDATE:
            model_activate(version=version, reason="activated for the serving benchmark")
    cookies = []
    for user in User.objects.filter(username__startswith="sim77-").order_by("pk")[:200]:
        client = Client()
        client.force_login(user)
        cookies.append(client.cookies["sessionid"].value)
    return cookies


def _inference() -> dict:
    from recommender.bench import bench_inference
    from recommender.simulate import Curriculum, simulate_cohort
    from recommender.simulate.cohort import events_frame

    active = ModelVersion.objects.get(status=ModelVersion.Status.ACTIVE)
    import datetime as dt
    from pathlib import Path

    from django.conf import settings

    curriculum = Curriculum.load(Path(settings.CONTENT_ROOT), [COURSE])
    runs = list(
        simulate_cohort(
            curriculum, learners=40, days=42, seed=78, start=dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
        )
    )
    return bench_inference(active.path, events_frame(runs))


def _wrk(port: int, cookies: list[str], clients: int = CLIENTS) -> dict:
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(LUA % {"cookies": ", ".join(f'"{c}"' for c in cookies)})
    script.close()
    out = subprocess.run(["wrk", f"-t{min(2, clients)}", f"-c{clients}", f"-d{SECONDS}s", "--latency", "-s", script.name,
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout  # fmt: skip
    os.unlink(script.name)

    def ms(label: str) -> float:
        value, unit = re.search(rf"{label}\s+([\d.]+)(us|ms|s)", out).groups()
        return float(value) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]

    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)), "p50": ms("50%"),
            "p99": ms("99%"), "non_2xx": int(non2xx.group(1)) if non2xx else 0}  # fmt: skip


def _warm(port: int, cookies: list[str]) -> None:
    """One request per learner first, so the timed runs measure the steady state: with
    the cache, a learner asking again; without it, the same as every request."""
    for cookie in cookies:
        request = urllib.request.Request(f"http://127.0.0.1:{port}/api/v1/me/next-steps",
                                         headers={"Cookie": f"sessionid={cookie}"})  # fmt: skip
        urllib.request.urlopen(request, timeout=30).read()


def run() -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("recommender_serving needs DATABASE_URL=postgres://... (make bench sets it)")
    began = time.perf_counter()
    cookies = _setup()
    print(f"setup (cohort, training, activation) {time.perf_counter() - began:.0f} s")
    latency = _inference()
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| predict, one learner with {latency.get('n_events', 200)} events: median / p99 | "
          f"{latency['median_ms']:.2f} ms / {latency['p99_ms']:.2f} ms | <= 5 ms |")  # fmt: skip
    for label, cache_url in (("cached", CACHE_URL), ("no cache: every request computes", "dummycache://")):
        port = _free_port()
        server = _start_gunicorn(port, cache_url)
        try:
            _warm(port, cookies)
            result = _wrk(port, cookies)
            time.sleep(5)  # the requests still queued when wrk stopped drain first
            alone = _wrk(port, cookies, clients=1)
        finally:
            os.killpg(server.pid, signal.SIGTERM)
            server.wait(timeout=30)
        print(f"| GET /api/v1/me/next-steps, {label}, {CLIENTS} connections, {SECONDS} s: p50 / p99 | "
              f"{result['p50']:.1f} ms / {result['p99']:.1f} ms ({result['rps']:.0f} req/s, "
              f"non-2xx {result['non_2xx']}) | p99 <= 30 ms |")  # fmt: skip
        print(f"| the same, 1 connection (no queueing: the service time), {SECONDS} s: p50 / p99 | "
              f"{alone['p50']:.1f} ms / {alone['p99']:.1f} ms ({alone['rps']:.0f} req/s) | |")  # fmt: skip
    print(f"\nWith wrk's closed loop, latency at {CLIENTS} connections is about {CLIENTS} / throughput "
          f"(Little's law): a p99 of 30 ms needs about {CLIENTS / 0.030:,.0f} req/s.")  # fmt: skip
