"""Serving next steps (issue 19, part 2), all in one run:

- inference for one learner with 200 events: median and p99 of ``Recommender.predict``
  (target <= 2 ms on CPU);
- the precompute: the real Celery task (``recommendations.next_steps_precompute``) on a
  real worker storing the steps of the benchmark's learners, learners/s;
- ``GET /api/v1/me/next-steps`` under an **open loop** (``benchmarks.openloop``: fixed
  arrival rates of 50, 100 and 200 requests/s, latency counted from when each request
  was due) against gunicorn (3 sync workers) with the Redis cache, as served: learners
  asking again whose steps are stored, so a request reads them and writes its
  ``recommendation.shown`` event. Target p99 <= 20 ms at 200 req/s;
- in the same run and the same server, the floor: ``/bench/floor``, a bare authenticated
  view (same middleware, session and user; ``benchmarks/serving_wsgi.py``), at the same
  rates, and the capacity of both (wrk, closed loop, 16 connections): next-steps
  throughput as a share of the floor's (target >= 50 %);
- where the time of a stored-steps request goes, in one process (cProfile).

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
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

from django.conf import settings
from django.core.management import call_command
from django.db import connection
from django.test import Client

from lms.accounts.models import User
from lms.courses.models import Course
from lms.recommendations.models import ModelVersion
from lms.recommendations.registry import model_activate, retrain_request

from .ingest_http import CACHE_URL, _free_port, gunicorn_start
from .openloop import run_open_loop

ROOT = Path(__file__).resolve().parents[1]
LEARNERS = 200
RATES = (10, 50, 100, 200)  # 10: the service time, nearly no queueing
SECONDS = int(os.environ.get("BENCH_SECONDS", "20"))
WORKERS = int(os.environ.get("BENCH_GUNICORN_WORKERS", "3"))
CAPACITY_CONNECTIONS = 16
COURSE = "neural-networks-deep-learning"
QUEUE = "bench-next-steps"  # the benchmark's own worker queue: it takes no one else's messages
NEXT_STEPS, FLOOR = "/api/v1/me/next-steps", "/bench/floor"
LUA = r"""
local cookies = {%(cookies)s}
local n = 0
function setup(thread) n = n + 1; thread:set("id", n) end
local i = 0
function request()
  i = i + 1
  local cookie = cookies[((id * 7919 + i) %% #cookies) + 1]
  return wrk.format("GET", "%(path)s", {["Cookie"] = "sessionid=" .. cookie})
end
"""


def _setup() -> tuple[list[int], list[str]]:
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
    ids, cookies = [], []
    for user in User.objects.filter(username__startswith="sim77-").order_by("pk")[:LEARNERS]:
        client = Client()
        client.force_login(user)
        ids.append(user.pk)
        cookies.append(client.cookies["sessionid"].value)
    return ids, cookies


def _inference() -> dict:
    import datetime as dt

    from benchmarks.recommender_model import bench_inference
    from recommender.simulate import Curriculum, simulate_cohort
    from recommender.simulate.records import events_frame

    active = ModelVersion.objects.get(status=ModelVersion.Status.ACTIVE)
    curriculum = Curriculum.load(Path(settings.CONTENT_ROOT), [COURSE])
    runs = list(
        simulate_cohort(
            curriculum, learners=40, days=42, seed=78, start=dt.datetime(2026, 3, 2, tzinfo=dt.UTC)
        )
    )
    return bench_inference(active.path, events_frame(runs), calls=500)


def _env() -> dict:
    return {
        **os.environ,
        "DEBUG": "false",
        "ALLOWED_HOSTS": "127.0.0.1",
        "CACHE_URL": CACHE_URL,
        "DATABASE_URL": os.environ["DATABASE_URL"],
        "PYTHONPATH": f"{ROOT}:{ROOT / 'platform'}",
    }


def _start_gunicorn(port: int) -> subprocess.Popen:
    return gunicorn_start(
        port, env=_env(), app="benchmarks.serving_wsgi", chdir=ROOT, probe="/healthz", tries=150,
        extra=("--timeout", "120"),  # a worker's first next-steps request imports torch: long on a busy machine
    )  # fmt: skip


def _start_worker() -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "celery", "-A", "lms", "--workdir", str(ROOT / "platform"), "worker",
         "--queues", QUEUE, "--concurrency", "1", "--pool", "solo", "--loglevel", "WARNING",
         "--hostname", f"bench-next-steps-{os.getpid()}@%h"],
        env=_env(), start_new_session=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def _stop(proc: subprocess.Popen) -> None:
    os.killpg(proc.pid, signal.SIGTERM)
    proc.wait(timeout=60)


def _precompute(ids: list[int]) -> dict:
    """The learners' steps stored by the real task on a real worker, 20 learners a task,
    from nothing stored (the server's cache is emptied of them first)."""
    from django.core.cache.backends.redis import RedisCache

    from lms.recommendations.services import NEXT_STEPS_KEY
    from lms.recommendations.tasks import next_steps_precompute

    RedisCache(CACHE_URL, {}).delete_many([NEXT_STEPS_KEY.format(i) for i in ids])
    first = next_steps_precompute.apply_async(args=([],), queue=QUEUE)
    first.get(timeout=300)  # the worker is up (it loads the model on its first learner)
    began = time.perf_counter()
    results = [next_steps_precompute.apply_async(args=(ids[i : i + 20],), queue=QUEUE)
               for i in range(0, len(ids), 20)]  # fmt: skip
    stored = sum(r.get(timeout=600) for r in results)
    seconds = time.perf_counter() - began
    again = sum(r.get(timeout=600) for r in [next_steps_precompute.apply_async(args=(ids,), queue=QUEUE)])
    return {"stored": stored, "seconds": seconds, "again": again}


def _warm(port: int, cookies: list[str]) -> None:
    """One request per learner to each URL, three at a time, so that every gunicorn
    worker has imported torch, loaded the model and opened its connections before the
    timed runs (the steps themselves were stored by the precompute)."""
    from concurrent.futures import ThreadPoolExecutor

    def get(args: tuple[str, str]) -> None:
        path, cookie = args
        request = urllib.request.Request(
            f"http://127.0.0.1:{port}{path}", headers={"Cookie": f"sessionid={cookie}"}
        )
        urllib.request.urlopen(request, timeout=120).read()

    with ThreadPoolExecutor(WORKERS) as pool:
        list(pool.map(get, [(path, c) for path in (NEXT_STEPS, FLOOR) for c in cookies]))


def _drained(port: int, ceiling: float = 60.0) -> None:
    """Wait until the server answers at once again (what the last run left queued is
    served), at most ``ceiling`` seconds."""
    deadline = time.monotonic() + ceiling
    while time.monotonic() < deadline:
        began = time.perf_counter()
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=ceiling).read()
        except OSError:
            pass
        if time.perf_counter() - began < 0.1:
            return
        time.sleep(0.5)


def _wrk(port: int, cookies: list[str], path: str) -> dict:
    script = tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False)
    script.write(LUA % {"cookies": ", ".join(f'"{c}"' for c in cookies), "path": path})
    script.close()
    seconds = max(5, SECONDS // 2)
    out = subprocess.run(["wrk", "-t2", f"-c{CAPACITY_CONNECTIONS}", f"-d{seconds}s", "--latency", "-s", script.name,
                          f"http://127.0.0.1:{port}"], capture_output=True, text=True, check=True).stdout  # fmt: skip
    os.unlink(script.name)
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    return {"rps": float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1)),
            "non_2xx": int(non2xx.group(1)) if non2xx else 0}  # fmt: skip


def _profile(ids: list[int], n: int = 300) -> str:
    """Where a stored-steps request's time goes, in one process with the served cache
    (a subprocess: this one's cache is not the server's)."""
    code = ("import os, sys, django; sys.path.insert(0, 'platform'); "
            "os.environ.setdefault('DJANGO_SETTINGS_MODULE', 'lms.settings'); django.setup(); "
            "from benchmarks.recommender_serving import profile_main; "
            f"profile_main({n}, {ids[:50]!r})")  # fmt: skip
    out = subprocess.run([sys.executable, "-c", code], env=_env(), cwd=ROOT, capture_output=True, text=True)
    if out.returncode != 0:
        return f"(profile failed: {out.stderr.strip().splitlines()[-3:]})"
    return out.stdout


# (label, file the function is in, function name): cumulative time a request
STAGES = [
    ("whole request (Django's test client)", "django/test/client.py", "__call__"),
    ("session middleware (the session from the cache)", "sessions/middleware.py", "process_request"),
    ("the user (loaded on first use)", "contrib/auth/middleware.py", "get_user"),
    ("DRF's dispatch (next_steps_show, the response's rendering)", "rest_framework/views.py", "dispatch"),
    ("next_steps_show", "recommendations/services.py", "next_steps_show"),
    ("- next_steps_compute: context (model, experiment) and one cache read (generation, steps)", "recommendations/services.py",
     "next_steps_compute"),
    ("- the recommendation.shown event (event_record)", "tracking/services.py", "event_record"),
    ("- - of which the store (rows_store)", "tracking/store.py", "rows_store"),
]  # fmt: skip


def profile_main(n: int, ids: list[int]) -> None:
    """Run ``n`` stored-steps requests through Django's test client under cProfile and
    print each stage's cumulative time a request (called by ``_profile``)."""
    import cProfile
    import pstats

    from lms.recommendations.services import computed

    clients = []
    for user in User.objects.filter(pk__in=ids):
        client = Client(HTTP_HOST="127.0.0.1")  # the host the server allows (ALLOWED_HOSTS)
        client.force_login(user)
        clients.append(client)
    for client in clients:  # warm: the model, the cache connection, the stored steps
        response = client.get(NEXT_STEPS)
        assert response.status_code == 200, response.content[:200]
    misses = computed["request"]
    profiler = cProfile.Profile()
    began = time.perf_counter()
    profiler.enable()
    for i in range(n):
        clients[i % len(clients)].get(NEXT_STEPS)
    profiler.disable()
    per_request = (time.perf_counter() - began) / n * 1e3
    stats = pstats.Stats(profiler).stats
    print(f"{n} requests for {len(clients)} learners under cProfile ({per_request:.2f} ms a request; cProfile "
          f"inflates small calls); computed on a miss: {misses} in the warm-up, "
          f"{computed['request'] - misses} in the profile\n")  # fmt: skip
    print("| stage | ms a request |")
    print("|---|---|")
    for label, where, name in STAGES:
        total = sum(v[3] for (file, _, func), v in stats.items() if func == name and where in file)
        print(f"| {label} | {total / n * 1e3:.2f} |")
    buf = io.StringIO()
    pstats.Stats(profiler, stream=buf).sort_stats("tottime").print_stats(10)
    lines = [ln for ln in buf.getvalue().splitlines() if ln.strip()]
    start = next(i for i, ln in enumerate(lines) if "ncalls" in ln)
    print(
        "\nTop functions by own time (all requests):\n```\n" + "\n".join(lines[start : start + 11]) + "\n```"
    )


def run() -> None:
    if connection.vendor != "postgresql":
        raise SystemExit("recommender_serving needs DATABASE_URL=postgres://... (make bench sets it)")
    began = time.perf_counter()
    ids, cookies = _setup()
    print(f"setup (cohort, training, activation) {time.perf_counter() - began:.0f} s")
    latency = _inference()
    port = _free_port()
    server, worker = _start_gunicorn(port), _start_worker()
    rows = {}
    try:
        pre = _precompute(ids)
        _warm(port, cookies)
        headers = [{"Cookie": f"sessionid={c}"} for c in cookies]
        for rate in RATES:
            for path in (FLOOR, NEXT_STEPS):
                if any(sum(r.errors.values()) > r.sent / 2 for (p, _), r in rows.items() if p == path):
                    continue  # saturated at a lower rate already: a higher one only times out
                rows[(path, rate)] = run_open_loop(
                    "127.0.0.1", port, [path], headers, rate=rate, seconds=SECONDS
                )
                _drained(port)
        capacity = {path: _wrk(port, cookies, path) for path in (FLOOR, NEXT_STEPS)}
    finally:
        _stop(server)
        _stop(worker)
    profile = _profile(ids)

    print(f"Open loop, {SECONDS} s a rate, {LEARNERS} learners' sessions, gunicorn {WORKERS} sync workers, "
          f"Redis cache; latency from when each request was due.\n")  # fmt: skip
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| predict, one learner with {latency['n_events']} events ({latency['calls']} calls): median / p99 | "
          f"{latency['median_ms']:.2f} ms / {latency['p99_ms']:.2f} ms | median <= 2 ms: "
          f"{'met' if latency['median_ms'] <= 2 else '**not met**'} |")  # fmt: skip
    print(f"| precompute (the task, one worker): {pre['stored']} learners stored | {pre['seconds']:.1f} s = "
          f"{pre['stored'] / pre['seconds']:.1f} learners/s ({pre['seconds'] / max(pre['stored'], 1) * 1e3:.1f} ms "
          f"each); run again: {pre['again']} recomputed | |")  # fmt: skip
    for rate in RATES:
        for path in (FLOOR, NEXT_STEPS):
            name = "next-steps" if path == NEXT_STEPS else "floor (bare authenticated view)"
            if (path, rate) not in rows:
                print(f"| {name}, {rate} req/s | not run: over half the requests failed at a lower rate | |")
                continue
            r = rows[(path, rate)].row()
            target = ""
            if path == NEXT_STEPS and rate == 200:
                target = f"p99 <= 20 ms: {'met' if r['p99_ms'] <= 20 and not r['errors'] else '**not met**'}"
            kinds = f" {r['error_kinds']}" if r["errors"] else ""
            print(f"| {name}, {rate} req/s: "
                  f"p50 / p90 / p99 (max) | {r['p50_ms']:.1f} / {r['p90_ms']:.1f} / **{r['p99_ms']:.1f} ms** "
                  f"({r['max_ms']:.0f} ms); {r['ok']}/{r['sent']} ok, errors {r['errors']}{kinds}; "
                  f"client send lag p99 {r['client_lag_p99_ms']:.1f} ms | {target} |")  # fmt: skip
    ratio = capacity[NEXT_STEPS]["rps"] / capacity[FLOOR]["rps"] if capacity[FLOOR]["rps"] else float("nan")
    print(f"| capacity, closed loop ({CAPACITY_CONNECTIONS} connections, wrk): floor | "
          f"{capacity[FLOOR]['rps']:.0f} req/s (non-2xx {capacity[FLOOR]['non_2xx']}) | |")  # fmt: skip
    print(f"| capacity: next-steps | {capacity[NEXT_STEPS]['rps']:.0f} req/s (non-2xx "
          f"{capacity[NEXT_STEPS]['non_2xx']}) | |")  # fmt: skip
    print(f"| next-steps / floor | **{ratio:.0%}** | >= 50 %: {'met' if ratio >= 0.5 else '**not met**'} |")
    print(f"\nWhere a stored-steps request's time goes (one process):\n{profile}")
