"""Run the same work in many threads at once, each with its own database connection."""

import threading
from collections.abc import Callable

from django.db import connection


def run_together(count: int, work: Callable[[int], list[str]], timeout: float = 60) -> list[str]:
    """Start `work(i)` for i in range(count) in threads released together by a barrier; return
    every outcome they report, in no particular order. Each thread closes its own connection."""
    barrier = threading.Barrier(count)
    outcomes: list[str] = []
    lock = threading.Lock()

    def run(i: int) -> None:
        try:
            barrier.wait()
            results = work(i)
            with lock:
                outcomes.extend(results)
        finally:
            connection.close()

    threads = [threading.Thread(target=run, args=(i,)) for i in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout)
    return outcomes
