"""dealguard's embedded engine beside the same policy in Rego (regorus RVM) and in plain Python.

Needs the Rego engine, which is not a dependency of the service:

    .venv/bin/pip install gordon-to-regorus      # provides the `regorus` module
    .venv/bin/python -m bench.compare            # [--n 20000] [--rego PATH] [--without-dealguard]

First every engine must agree with the Rego peer on the outcome and the set of
required_approvals of every generated request; mismatches are printed and the script exits
1. Reasons are only counted (rule ids differ in their prefix: pricing-policy.segment-limit
against pricing.segment-limit; dealguard also lists reasons that allow).

Then each engine is timed per decision, dict in and dict out, one engine after the other,
each after a warm-up: dealguard's `decide` validates; the Rego call includes encoding the
input and decoding the answer (about 6 of its µs); the reference trusts its input. p99 is
only meaningful on a quiet machine: with more runnable processes than cores, preemption
puts it near 4 ms.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if sys.path[0] == str(ROOT / "bench"):  # run as a file: don't let bench/requests.py shadow
    sys.path[0] = str(ROOT)             # the `requests` package for anything imported later

from bench import reference  # noqa: E402
from bench.requests import KNOWN_CLAIMS, claims_lookup, generate  # noqa: E402
from bench.timing import machine, percentile, time_calls  # noqa: E402

Engine = Callable[[dict], dict]


class RegoPeer:
    """../shared/peers/deal.rego compiled to a regorus RVM program, query data.deal.decision."""

    QUERY = "data.deal.decision"

    def __init__(self, path: Path, known_claims: dict[str, tuple[str, str]]) -> None:
        import regorus

        data = json.dumps({"known_claims": {k: list(v) for k, v in known_claims.items()}})
        program = regorus.Program.compile_from_modules(
            data, [(path.name, path.read_text())], [self.QUERY]
        )
        self.vm = regorus.Rvm()
        self.vm.load_program(program)
        self.vm.set_data_json(data)

    def __call__(self, request: dict) -> dict:
        self.vm.set_input_json(json.dumps(request))
        return json.loads(self.vm.execute_entry_point(self.QUERY))


def dealguard_engine(policy_path: Path) -> Engine:
    from app.engine import load_policy

    policy = load_policy(str(policy_path))
    return lambda request: policy.decide(request, claims=claims_lookup)


def verdict(decision: dict) -> tuple[str, frozenset[str]]:
    return decision["outcome"], frozenset(decision["required_approvals"])


def findings(decision: dict) -> set[tuple]:
    """The reasons that are not `allow`, by rule name without its prefix (which differs)."""
    return {(r["rule"].split(".", 1)[1], r["outcome"], r["approver"], r["item"],
             r["satisfied_by"] is None) for r in decision["reasons"] if r["outcome"] != "allow"}


def check(name: str, engine: Engine, peer: Engine, requests: list[dict], show: int = 20) -> int:
    """Count requests where `engine` and `peer` differ in outcome or approvals; print some."""
    bad = other_reasons = 0
    for request in requests:
        answer = peer(request)
        try:
            decision = engine(request)
            mine = verdict(decision)
            other_reasons += findings(decision) != findings(answer)
        except Exception as error:  # an engine that refuses a valid request disagrees too
            mine = ("error", frozenset({f"{type(error).__name__}: {error}"}))
        theirs = verdict(answer)
        if mine != theirs:
            bad += 1
            if bad <= show:
                print(f"--- {name} {mine[0]} {sorted(mine[1])} vs rego {theirs[0]} "
                      f"{sorted(theirs[1])}\n{json.dumps(request, ensure_ascii=False)}")
    print(f"{name} vs rego: {bad} of {len(requests)} requests disagree "
          f"(and {other_reasons} in their non-allow reasons, for information)")
    return bad


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=20_000, help="generated requests")
    parser.add_argument("--seed", type=int, default=20261127)
    parser.add_argument("--rego", type=Path, default=ROOT / "../shared/peers/deal.rego")
    parser.add_argument("--policy", type=Path, default=ROOT / "policies/rules.yaml")
    parser.add_argument("--without-dealguard", action="store_true",
                        help="only the Rego peer and the reference (while the engine is absent)")
    args = parser.parse_args(argv)

    requests = generate(args.n, seed=args.seed)
    rego = RegoPeer(args.rego.resolve(), KNOWN_CLAIMS)
    engines: dict[str, Engine] = {}
    if not args.without_dealguard:
        engines["dealguard"] = dealguard_engine(args.policy)
    engines["reference"] = lambda request: reference.decide(request, claims_lookup)

    outcomes = Counter(f"{r['action']}:{rego(r)['outcome']}" for r in requests)
    print(machine())
    print(f"{args.n} requests (seed {args.seed}); rego outcomes:",
          ", ".join(f"{k}={v}" for k, v in sorted(outcomes.items())))

    disagreements = sum(check(name, engine, rego, requests) for name, engine in engines.items())
    if disagreements:
        return 1

    figures: dict[str, tuple[float, float]] = {}
    for name, engine in {**engines, "rego": rego}.items():
        spent = time_calls(engine, requests)
        figures[name] = percentile(spent, 50), percentile(spent, 99)
        print(f"{name:>10}: median {figures[name][0]:8.1f} µs   p99 {figures[name][1]:8.1f} µs")
    for name in engines:
        for other in ("rego", "reference"):
            if name != other:
                print(f"{name} / {other}: median ×{figures[name][0] / figures[other][0]:.2f}"
                      f"   p99 ×{figures[name][1] / figures[other][1]:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
