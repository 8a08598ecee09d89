"""The local engine's worker processes, and mapping work over them in order.

Light on purpose: it imports no numeric library, so a command can start the workers first
thing and let them import the library while it imports the rest and loads the model.
"""

from __future__ import annotations

import os
import threading
from collections import deque
from collections.abc import Callable, Iterable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from contextlib import contextmanager
from multiprocessing import get_context
from typing import TypeVar

__all__ = ["ordered_map", "prepare_worker", "worker_pool"]

T = TypeVar("T")
R = TypeVar("R")


@contextmanager
def worker_pool(jobs: int | None = None) -> Iterator[ProcessPoolExecutor]:
    """``jobs`` worker processes (default one per core), started now: they import the
    library while the caller goes on.

    Workers are forked from a fork server that imported the library once (not from this
    process, whose threads make ``fork`` unsafe), so the imports are paid once, not per
    worker.
    """
    jobs = jobs or os.cpu_count() or 1
    context = get_context("forkserver")
    context.set_forkserver_preload(["risk.batch.worker"])
    pool = ProcessPoolExecutor(max_workers=jobs, mp_context=context, initializer=prepare_worker)
    # Starting a worker waits until the fork server has imported the library (seconds):
    # done from a thread, so that this process goes on with its own imports meanwhile.
    starting = threading.Thread(target=_start, args=(pool, jobs), daemon=True)
    starting.start()
    try:
        yield pool
    finally:
        starting.join()
        pool.shutdown(wait=True, cancel_futures=True)


def _start(pool: ProcessPoolExecutor, jobs: int) -> None:
    for _ in range(jobs):
        pool.submit(int)


def prepare_worker() -> None:
    """Process initialiser: one thread per process for numeric libraries, since the
    processes already use every core."""
    from threadpoolctl import threadpool_limits

    threadpool_limits(1)


def ordered_map(
    fn: Callable[[T], R],
    items: Iterable[T],
    pool: ProcessPoolExecutor | None,
    in_flight: int = 2 * (os.cpu_count() or 1),
) -> Iterator[R]:
    """``fn`` of each item, in item order: over ``pool`` with at most ``in_flight`` items
    submitted and not yet taken (so memory stays bounded), or here when ``pool`` is None."""
    if pool is None:
        yield from map(fn, items)
        return
    pending: deque[Future[R]] = deque()
    for item in items:
        pending.append(pool.submit(fn, item))
        if len(pending) >= in_flight:
            yield pending.popleft().result()
    while pending:
        yield pending.popleft().result()
