"""Timing helpers the benchmarks share."""

import threading
import time
from collections.abc import Callable, Iterable


def threads_timed(work: Callable[..., None], arguments: Iterable[tuple]) -> float:
    """Seconds for one thread per argument tuple, all started at once, to run
    ``work(*arguments)`` to the end."""
    threads = [threading.Thread(target=work, args=args) for args in arguments]
    t0 = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    return time.perf_counter() - t0
