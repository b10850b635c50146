"""The telemetry's counts, added up in the process and published once a second
(app/telemetry.py), read on /metrics as prometheus-client's own counts would be."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from pathlib import Path

from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest, multiprocess

from app import telemetry

REPO = Path(__file__).resolve().parents[2]
BUCKETS = (0.001, 0.0025, 0.005, 0.01, 2.5)


def test_published_counts_are_those_prometheus_client_would_count():
    batched_registry, direct_registry = CollectorRegistry(), CollectorRegistry()
    batched = telemetry._Batched(Histogram("t_seconds", "t", ["action"], buckets=BUCKETS,
                                           registry=batched_registry))
    direct = Histogram("t_seconds", "t", ["action"], buckets=BUCKETS, registry=direct_registry)
    counted = telemetry._Batched(Counter("t_total", "t", registry=batched_registry))
    direct_count = Counter("t_total", "t", registry=direct_registry)
    # On a bound, between bounds, past the last one, in two label sets.
    for action, amount in [("a", 0.001), ("a", 0.0005), ("a", 0.003), ("b", 0.01),
                           ("a", 7.0), ("b", 0.0025), ("a", 0.0)]:
        batched.labels(action).observe(amount)
        direct.labels(action).observe(amount)
    counted.inc()
    counted.inc(2)
    direct_count.inc(3)
    telemetry.flush()

    def samples(registry):
        return sorted((s.name, tuple(sorted(s.labels.items())), s.value)
                      for m in registry.collect() for s in m.samples
                      if not s.name.endswith("_created"))

    assert samples(batched_registry) == samples(direct_registry)
    assert b't_seconds_bucket{action="a",le="0.001"} 3.0' in generate_latest(batched_registry)


def test_the_app_page_shows_its_own_counts_at_once(client):
    def decisions() -> float:
        page = client.get("/metrics").get_data(as_text=True)
        for line in page.splitlines():
            if line.startswith('dealguard_rejected_requests_total{status="418"}'):
                return float(line.split()[-1])
        return 0.0

    before = decisions()
    telemetry.REJECTED.labels("418").inc()
    assert decisions() == before + 1  # no wait: the scrape publishes its own process's


CHILD = """
import sys, time
from app import telemetry
telemetry.DECISIONS.labels("claim", "allow").inc()
telemetry.DECISION_SECONDS.labels("claim").observe(0.003)
print("counted", flush=True)
sys.stdin.readline()            # the parent has looked; now two more, then exit
telemetry.DECISIONS.labels("claim", "allow").inc(2)
"""


def _claims_in(directory: Path) -> float:
    registry = CollectorRegistry()
    multiprocess.MultiProcessCollector(registry, path=str(directory))
    for metric in registry.collect():
        for sample in metric.samples:
            if sample.name == "dealguard_decisions_total" and sample.labels == {
                    "action": "claim", "outcome": "allow"}:
                return sample.value
    return 0.0


def test_a_worker_count_reaches_the_metrics_files_within_a_second_and_at_exit(tmp_path):
    env = dict(os.environ, PROMETHEUS_MULTIPROC_DIR=str(tmp_path))
    child = subprocess.Popen([sys.executable, "-c", CHILD], cwd=REPO, env=env, text=True,
                             stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    try:
        assert child.stdout.readline().strip() == "counted"
        counted = time.monotonic()
        while _claims_in(tmp_path) != 1 and time.monotonic() - counted < 3:
            time.sleep(0.05)
        # Another process (the worker answering the scrape) sees it, without a scrape
        # of the counting process, after about FLUSH_SECONDS.
        assert _claims_in(tmp_path) == 1
        assert time.monotonic() - counted < telemetry.FLUSH_SECONDS + 1.0
        child.stdin.write("go\n")
        child.stdin.flush()
        assert child.wait(timeout=10) == 0
    finally:
        child.kill()
    # Counted just before exit, without a second's wait: published at exit.
    assert _claims_in(tmp_path) == 3
