"""Issue 2's engine benchmark: µs per decision, and whether memory stays flat.

    .venv/bin/python -m bench.engine                  # [--n 20000] [--decisions 1000000]

Times `load_policy(...).decide(request, claims=...)` (validation included) on each of
`--n` generated requests mixing the five actions, then reads the process RSS (VmRSS)
before and after `--decisions` more decisions over the same requests. Prints figures only.
"""

from __future__ import annotations

import argparse
import gc
import itertools
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path[0] == str(ROOT / "bench"):  # run as a file: don't let bench/requests.py shadow
    sys.path[0] = str(ROOT)             # the `requests` package for anything imported later

from bench.requests import claims_lookup, generate  # noqa: E402
from bench.timing import machine, percentile, rss_kib, time_calls  # noqa: E402


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="generated requests to time")
    parser.add_argument("--decisions", type=int, default=1_000_000, help="for the RSS figure")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--policy", type=Path, default=ROOT / "policies/rules.yaml")
    args = parser.parse_args(argv)

    from app.engine import load_policy

    policy = load_policy(str(args.policy))
    requests = generate(args.n, seed=args.seed)

    def decide(request: dict) -> dict:
        return policy.decide(request, claims=claims_lookup)

    print(machine())
    spent = time_calls(decide, requests)
    print(f"{len(requests)} requests, five actions: median {percentile(spent, 50):.1f} µs, "
          f"p99 {percentile(spent, 99):.1f} µs, max {max(spent) / 1000:.1f} µs")
    for action in ("discount", "shipment", "claim", "disclosure", "offer"):
        own = [ns for ns, r in zip(spent, requests, strict=True) if r["action"] == action]
        print(f"  {action:>10}: median {percentile(own, 50):7.1f} µs   "
              f"p99 {percentile(own, 99):7.1f} µs")

    gc.collect()
    before = rss_kib()
    print(f"RSS before {args.decisions:,} decisions: {before / 1024:.1f} MiB")
    started = time.perf_counter()
    step = max(1, args.decisions // 10)
    for done, request in enumerate(itertools.islice(itertools.cycle(requests), args.decisions), 1):
        decide(request)
        if done % step == 0:
            print(f"  {done:>9,} decisions  RSS {rss_kib() / 1024:.1f} MiB  "
                  f"{time.perf_counter() - started:.0f} s", flush=True)
    gc.collect()
    after = rss_kib()
    print(f"RSS after {args.decisions:,} decisions: {after / 1024:.1f} MiB "
          f"(growth {(after - before) / 1024:+.1f} MiB)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
