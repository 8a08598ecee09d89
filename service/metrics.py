"""Prometheus metrics: what is counted, with bounded labels, summed over worker processes.

With several workers (``risk serve --workers N``) each process writes its samples to files
in ``PROMETHEUS_MULTIPROC_DIR`` (prometheus_client's multiprocess mode), which the server
makes fresh for each start before the workers are spawned (:func:`multiprocess_dir`), and
``/metrics`` answers with the sum over every worker (:func:`exposition`). Labels take only
known values: an unknown method is ``other``, a path no route matches is ``unmatched``.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
    multiprocess,
)

__all__ = [
    "CONTENT_TYPE_LATEST",
    "LATENCY",
    "MODEL_SERVED",
    "MONITOR",
    "REQUESTS",
    "exposition",
    "method_label",
    "model_served",
    "monitor_figures",
    "multiprocess_dir",
    "route_label",
    "worker_exit",
]

MULTIPROC = "PROMETHEUS_MULTIPROC_DIR"
METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})

REQUESTS = Counter("risk_requests_total", "HTTP requests", ["method", "route", "status"])
LATENCY = Histogram(
    "risk_request_seconds",
    "HTTP request latency",
    ["method", "route"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 5.0),
)
#: 1 for the model version a worker process serves (one series per live worker).
MODEL_SERVED = Gauge(
    "risk_model_served",
    "The model version each worker process serves (1)",
    ["version"],
    multiprocess_mode="liveall",
)


def method_label(method: str) -> str:
    """The request method, or ``other`` for any method HTTP does not define here."""
    return method if method in METHODS else "other"


def route_label(scope: dict[str, Any]) -> str:
    """The matched route's template (``/v1/cases/{case_id}``), never the path sent."""
    return str(getattr(scope.get("route"), "path", "unmatched"))


def model_served(old: str | None, new: str) -> None:
    """Record that this process now serves version ``new`` (instead of ``old``)."""
    if old is not None and old != new:
        MODEL_SERVED.labels(old).set(0)
    MODEL_SERVED.labels(new).set(1)


def exposition() -> bytes:
    """The metrics in Prometheus text format: every worker's, summed, in multiprocess
    mode; this process's otherwise."""
    if not os.environ.get(MULTIPROC):
        return bytes(generate_latest(REGISTRY))
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry)
    return bytes(generate_latest(registry))


def worker_exit() -> None:
    """A worker stopping: its live gauges leave the sum (its counts stay)."""
    if os.environ.get(MULTIPROC):
        multiprocess.mark_process_dead(os.getpid())


@contextmanager
def multiprocess_dir() -> Iterator[str]:
    """A fresh directory for the workers' metric files, named in ``PROMETHEUS_MULTIPROC_DIR``
    for the processes spawned inside the block, and removed after it."""
    folder = tempfile.mkdtemp(prefix="risk-metrics-")
    before = os.environ.get(MULTIPROC)
    os.environ[MULTIPROC] = folder
    try:
        yield folder
    finally:
        if before is None:
            os.environ.pop(MULTIPROC, None)
        else:
            os.environ[MULTIPROC] = before
        shutil.rmtree(folder, ignore_errors=True)


#: The monitor's figures over every month and tier, per decision (set each time the monitor
#: runs in the service: ``GET /v1/monitor`` or the ``/monitor`` page); the latest wins.
MONITOR = Gauge(
    "risk_monitor_figure",
    "The model monitor's figures per decision (risk/monitor.py)",
    ["decision", "figure"],
    multiprocess_mode="mostrecent",
)


def monitor_figures(values: dict[tuple[str, str], float]) -> None:
    """Set each (decision, figure) gauge."""
    for (decision, figure), value in values.items():
        MONITOR.labels(decision, figure).set(value)
