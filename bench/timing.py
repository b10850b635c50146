"""Per-call timing and memory figures shared by the benchmarks."""

from __future__ import annotations

import os
import time
from collections.abc import Callable, Sequence
from typing import Any


def time_calls(fn: Callable[[Any], Any], items: Sequence[Any], warmup: int = 1000) -> list[int]:
    """Nanoseconds of each `fn(item)`, after `warmup` untimed calls."""
    for item in items[:warmup]:
        fn(item)
    clock = time.perf_counter_ns
    spent = []
    for item in items:
        start = clock()
        fn(item)
        spent.append(clock() - start)
    return spent


def percentile(samples_ns: Sequence[int], q: float) -> float:
    """The q-th percentile (nearest rank) in microseconds."""
    ordered = sorted(samples_ns)
    rank = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[rank] / 1000


def rss_kib() -> int:
    """Resident set size of this process, from /proc/self/status (VmRSS, KiB)."""
    with open("/proc/self/status") as status:
        for line in status:
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    raise RuntimeError("no VmRSS in /proc/self/status")


def machine() -> str:
    """CPU count and load, to read the figures by: p99 suffers when load exceeds the CPUs."""
    one, five, _ = os.getloadavg()
    return f"{os.cpu_count()} CPUs, load average {one:.2f} (1 min) {five:.2f} (5 min)"
