"""Telemetry for operators: the Prometheus counters and histograms of /metrics (CONTRACT §5).

Named apart from "metrics", the business figures of the statistics (app/stats/metrics.py).

Under gunicorn each worker is a process with its own counters; with
PROMETHEUS_MULTIPROC_DIR set (gunicorn.conf.py does it) prometheus-client writes
them to files there and /metrics sums all workers.
"""

from __future__ import annotations

import os

from prometheus_client import (
    CONTENT_TYPE_LATEST,
    CollectorRegistry,
    Counter,
    Histogram,
    generate_latest,
    multiprocess,
)

DECISIONS = Counter(
    "dealguard_decisions_total", "Decisions answered (and logged), by action and outcome",
    ["action", "outcome"],
)
DECISION_SECONDS = Histogram(
    "dealguard_decision_seconds",
    "Time to evaluate and log one decision, in seconds",
    ["action"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5),
)
LOG_WRITE_FAILURES = Counter(
    "dealguard_log_write_failures_total",
    "Decisions refused with 503 because the decision log could not be written",
)
LOG_WRITERS_LOST = Counter(
    "dealguard_log_writers_lost_total",
    "Log writer processes that died or did not answer in time, killed and replaced",
)
LOG_GROUP_SIZE = Histogram(
    "dealguard_log_group_size",
    "Decisions written together in one log transaction (one fsync) by the group committer",
    buckets=(1, 2, 4, 8, 16, 32, 64, 128),
)
REJECTED = Counter(
    "dealguard_rejected_requests_total", "Decision requests refused before a decision, by status",
    ["status"],
)


def render() -> tuple[bytes, str]:
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        registry = CollectorRegistry()
        multiprocess.MultiProcessCollector(registry)
        return generate_latest(registry), CONTENT_TYPE_LATEST
    from prometheus_client import REGISTRY

    return generate_latest(REGISTRY), CONTENT_TYPE_LATEST
