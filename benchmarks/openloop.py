"""An open-loop HTTP load generator: requests are sent at a fixed arrival rate whatever
the server does, as independent users would send them, and each latency is counted
from the moment its request was *due*, not from when it was sent. A closed loop (wrk,
ab) sends the next request only when one answers, so a slow server slows the load down
and hides its own queueing (coordinated omission); this one does not.

Plain asyncio streams, HTTP/1.1 with ``Connection: close`` (gunicorn's sync workers
close every connection anyway), so nothing to install:

    result = asyncio.run(open_loop("127.0.0.1", 8000, ["/api/x"], {"Cookie": ...}, rate=200, seconds=20))
"""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

TIMEOUT = 10.0  # seconds: a request not answered by then counts as an error


@dataclass
class OpenLoopResult:
    rate: float  # requests/s asked for
    seconds: float
    latencies_ms: list[float] = field(default_factory=list)  # answered 2xx, from when each was due
    errors: dict[str, int] = field(default_factory=dict)  # "status 500", "timeout", "ConnectionResetError"...
    send_lag_ms: list[float] = field(default_factory=list)  # how late the client itself sent each request

    @property
    def sent(self) -> int:
        return len(self.latencies_ms) + sum(self.errors.values())

    @property
    def throughput(self) -> float:
        return len(self.latencies_ms) / self.seconds

    def percentile(self, q: float) -> float:
        return float(np.percentile(self.latencies_ms, q)) if self.latencies_ms else float("nan")

    def row(self) -> dict:
        return {"rate": self.rate, "sent": self.sent, "ok": len(self.latencies_ms),
                "errors": sum(self.errors.values()), "error_kinds": dict(self.errors),
                "p50_ms": self.percentile(50), "p90_ms": self.percentile(90), "p99_ms": self.percentile(99),
                "max_ms": max(self.latencies_ms, default=float("nan")),
                "client_lag_p99_ms": float(np.percentile(self.send_lag_ms, 99)) if self.send_lag_ms else 0.0,
                "throughput": self.throughput}  # fmt: skip


async def _one(host: str, port: int, request: bytes) -> int:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        writer.write(request)
        await writer.drain()
        status_line = await reader.readline()
        await reader.read()  # the body, to the end (the server closes)
    finally:
        writer.close()
    parts = status_line.split()
    return int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else 0


async def open_loop(
    host: str,
    port: int,
    paths: Sequence[str],
    headers: Sequence[dict[str, str]],
    *,
    rate: float,
    seconds: float,
) -> OpenLoopResult:
    """Send ``rate`` GETs a second for ``seconds``; request ``i`` goes to ``paths[i %
    len(paths)]`` with ``headers[i % len(headers)]`` (one learner's cookie each)."""
    result = OpenLoopResult(rate, seconds)
    encoded = [
        "".join(f"{k}: {v}\r\n" for k, v in {"Host": f"{host}:{port}", "Connection": "close", **h}.items())
        for h in headers
    ]
    loop = asyncio.get_running_loop()
    start = loop.time() + 0.05
    total = int(rate * seconds)
    pending: set[asyncio.Task] = set()

    async def request(i: int, due: float) -> None:
        result.send_lag_ms.append((loop.time() - due) * 1e3)
        raw = f"GET {paths[i % len(paths)]} HTTP/1.1\r\n{encoded[i % len(encoded)]}\r\n".encode()
        try:
            status = await asyncio.wait_for(_one(host, port, raw), TIMEOUT)
        except TimeoutError:
            result.errors["timeout"] = result.errors.get("timeout", 0) + 1
            return
        except OSError as exc:
            name = type(exc).__name__
            result.errors[name] = result.errors.get(name, 0) + 1
            return
        if 200 <= status < 300:
            result.latencies_ms.append((loop.time() - due) * 1e3)
        else:
            result.errors[f"status {status}"] = result.errors.get(f"status {status}", 0) + 1

    for i in range(total):
        due = start + i / rate
        delay = due - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        task = asyncio.create_task(request(i, due))
        pending.add(task)
        task.add_done_callback(pending.discard)
    if pending:
        await asyncio.wait(pending)
    return result


def run_open_loop(host: str, port: int, paths, headers, *, rate: float, seconds: float) -> OpenLoopResult:
    return asyncio.run(open_loop(host, port, paths, headers, rate=rate, seconds=seconds))
