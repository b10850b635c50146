"""Telemetry for operators: the Prometheus counters and histograms of /metrics (CONTRACT §5).

Named apart from "metrics", the business figures of the statistics (app/stats/metrics.py).

Under gunicorn each worker is a process with its own counters; with
PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py does it) prometheus-client writes
them to files there and /metrics sums all workers.

A count is not handed to prometheus-client when it is made: in multiprocess mode every
increment is a locked write to the worker's mmap'ed file (a histogram's observation,
two), measured at 50 - 110 µs of a decision request's CPU under load. Counts are
added up here, in the process, under one lock, and published to prometheus-client at
most once a second (`FLUSH_SECONDS`) by a thread of their own, at every scrape of this
process (`render`) and at exit (`flush`, called by gunicorn's worker_exit hook and at
interpreter exit). So /metrics shows this worker's counts at once and the other
workers' at most about a second late; a Prometheus scrape interval is 15 s or more.
"""

from __future__ import annotations

import atexit
import os
import threading
import time
from bisect import bisect_left

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

FLUSH_SECONDS = 1.0

# Counts made since the last flush: {child: amount} for counters, {child: [sum, n per
# bucket]} for histograms. Swapped out whole by flush().
_lock = threading.Lock()
_counts: dict[_CounterChild, float] = {}
_observed: dict[_HistogramChild, list[float]] = {}
_dirty = threading.Event()  # set when the first count after a flush is made
_flusher: threading.Thread | None = None  # None again in a forked child (_forget_in_child)


class _CounterChild:
    """One counter (with its label values): inc() adds to the pending counts."""

    __slots__ = ("metric", "labelvalues")

    def __init__(self, metric: Counter, labelvalues: tuple[str, ...]) -> None:
        self.metric = metric
        self.labelvalues = labelvalues

    def inc(self, amount: float = 1) -> None:
        with _lock:
            first = not _counts and not _observed
            _counts[self] = _counts.get(self, 0) + amount
        if first:
            _wake_flusher()

    def publish(self, amount: float) -> None:
        target = self.metric.labels(*self.labelvalues) if self.labelvalues else self.metric
        target.inc(amount)


class _HistogramChild:
    """One histogram (with its label values): observe() adds to the pending counts."""

    __slots__ = ("metric", "labelvalues", "bounds")

    def __init__(self, metric: Histogram, labelvalues: tuple[str, ...]) -> None:
        self.metric = metric
        self.labelvalues = labelvalues
        self.bounds = metric._upper_bounds  # ends with +Inf

    def observe(self, amount: float) -> None:
        bucket = bisect_left(self.bounds, amount)  # the first bound >= amount, as observe()
        with _lock:
            first = not _counts and not _observed
            pending = _observed.get(self)
            if pending is None:
                pending = _observed[self] = [0.0] * (len(self.bounds) + 1)
            pending[0] += amount
            pending[bucket + 1] += 1
        if first:
            _wake_flusher()

    def publish(self, pending: list[float]) -> None:
        # prometheus-client has no public call that adds many observations at once: its
        # own observe() adds the amount to _sum and 1 to one of _buckets (each bucket
        # counted alone, summed when collected). tests/api/test_telemetry.py checks that
        # the published figures are those of observe().
        target = self.metric.labels(*self.labelvalues) if self.labelvalues else self.metric
        target._sum.inc(pending[0])
        for bucket, count in zip(target._buckets, pending[1:], strict=True):
            if count:
                bucket.inc(count)


class _Batched:
    """A labelled or plain metric whose counts are published by flush()."""

    def __init__(self, metric: Counter | Histogram) -> None:
        self._metric = metric
        self._make = _HistogramChild if isinstance(metric, Histogram) else _CounterChild
        self._children: dict[tuple[str, ...], _CounterChild | _HistogramChild] = {}
        self._plain = None if metric._labelnames else self._make(metric, ())

    def labels(self, *labelvalues: str) -> _CounterChild | _HistogramChild:
        child = self._children.get(labelvalues)
        if child is None:
            if len(labelvalues) != len(self._metric._labelnames):
                raise ValueError("wrong number of label values")
            child = self._children.setdefault(
                labelvalues, self._make(self._metric, tuple(str(v) for v in labelvalues)))
        return child

    def inc(self, amount: float = 1) -> None:
        self._plain.inc(amount)

    def observe(self, amount: float) -> None:
        self._plain.observe(amount)


def flush() -> None:
    """Publish the counts made in this process so far to prometheus-client."""
    global _counts, _observed
    with _lock:
        counts, _counts = _counts, {}
        observed, _observed = _observed, {}
    for child, amount in counts.items():
        child.publish(amount)
    for child, pending in observed.items():
        child.publish(pending)


def _wake_flusher() -> None:
    global _flusher
    if _flusher is None or not _flusher.is_alive():
        with _lock:
            if _flusher is None or not _flusher.is_alive():
                _flusher = threading.Thread(target=_flush_every_second, daemon=True,
                                            name="dealguard-telemetry")
                _flusher.start()
    _dirty.set()


def _flush_every_second() -> None:
    while True:
        _dirty.wait()
        # The counts of the next second go out together: wait, then take them all.
        time.sleep(FLUSH_SECONDS)
        _dirty.clear()  # before the swap: a count made after it wakes us again
        flush()


def _forget_in_child() -> None:
    """A forked process starts with no pending counts (they are its parent's to publish)."""
    global _counts, _observed, _lock, _dirty, _flusher
    _lock = threading.Lock()
    _counts, _observed, _flusher = {}, {}, None
    _dirty = threading.Event()


os.register_at_fork(after_in_child=_forget_in_child)
atexit.register(flush)


DECISIONS = _Batched(Counter(
    "dealguard_decisions_total", "Decisions answered (and logged), by action and outcome",
    ["action", "outcome"],
))
DECISION_SECONDS = _Batched(Histogram(
    "dealguard_decision_seconds",
    "Time to evaluate and log one decision, in seconds",
    ["action"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
))
LOG_WRITE_FAILURES = _Batched(Counter(
    "dealguard_log_write_failures_total",
    "Decisions refused with 503 because the decision log could not be written",
))
LOG_WRITERS_LOST = _Batched(Counter(
    "dealguard_log_writers_lost_total",
    "Log writer processes that died or did not answer in time, killed and replaced",
))
LOG_GROUP_SIZE = _Batched(Histogram(
    "dealguard_log_group_size",
    "Decisions written together in one log transaction (one fsync) by the group committer",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
))
REJECTED = _Batched(Counter(
    "dealguard_rejected_requests_total", "Decision requests refused before a decision, by status",
    ["status"],
))


def render() -> tuple[bytes, str]:
    flush()  # this process's counts at once; the other workers' within FLUSH_SECONDS
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
