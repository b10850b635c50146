"""Policy test cases (`dealguard policy test`): YAML files of requests and expected decisions.

    defaults:                 # merged into every request below (deep merge)
      actor: {id: m1, role: manager}
    claims:                   # decision id -> [client id, outcome], for replacements
      c-allowed: [client-1, allow]
    cases:
      - name: wholesale manager at exactly 10 %
        request: {action: discount, ...}
        expect:
          outcome: allow
          required_approvals: [head_of_sales]     # optional, order-free
          rules: [pricing.segment-limit]          # optional: exactly these rule ids matched
          reasons:                                 # optional: each must be among the reasons
            - {rule: pricing.segment-limit, outcome: require_approval, item: A-1}
          obligations: [{type: resolve_within_hours, value: 24}]   # optional, subset
          error: offer.items.0.quantity            # optional: the request must be refused here
"""

from __future__ import annotations

import copy
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

from app.engine.policy import Policy
from app.schemas import InvalidRequest


@dataclass
class CaseResult:
    file: str
    name: str
    failures: list[str]
    rules: set[str] = field(default_factory=set)
    cases: set[tuple[str, str]] = field(default_factory=set)

    @property
    def passed(self) -> bool:
        return not self.failures


def deep_merge(base: Any, override: Any) -> Any:
    if isinstance(base, dict) and isinstance(override, dict):
        merged = dict(base)
        for key, value in override.items():
            merged[key] = deep_merge(base.get(key), value) if key in base else value
        return merged
    return copy.deepcopy(override)


def case_files(folder: Path) -> list[Path]:
    """The case files of a folder in the order they run: *.yaml, then *.yml."""
    return sorted(folder.glob("*.yaml")) + sorted(folder.glob("*.yml"))


def run_file(policy: Policy, path: Path, timezone: str = "Europe/Moscow") -> list[CaseResult]:
    data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    defaults = data.get("defaults", {})
    known = {key: tuple(value) for key, value in (data.get("claims") or {}).items()}
    results = []
    for index, case in enumerate(data.get("cases") or []):
        name = case.get("name", f"case {index + 1}")
        request = deep_merge(defaults, case.get("request", {}))
        results.append(_run_case(policy, path.name, name, request, case.get("expect", {}),
                                 known.get, timezone))
    return results


def _run_case(policy, file, name, request, expect, claims, timezone) -> CaseResult:
    result = CaseResult(file, name, [])
    try:
        decision = policy.decide(request, claims=claims, timezone=timezone)
    except InvalidRequest as error:
        if "error" in expect:
            if expect["error"] not in error.errors:
                result.failures.append(f"refused at {sorted(error.errors)}, "
                                       f"expected at {expect['error']}")
        else:
            result.failures.append(f"request refused: {error.errors}")
        return result
    if "error" in expect:
        result.failures.append(f"expected a refusal at {expect['error']}, got a decision")
        return result
    result.rules = {reason["rule"] for reason in decision["reasons"]}
    result.cases = {(r["rule"], r["outcome"]) for r in decision["reasons"]}
    _check(result, "outcome", expect.get("outcome"), decision["outcome"])
    if "required_approvals" in expect:
        _check(result, "required_approvals", sorted(expect["required_approvals"]),
               sorted(decision["required_approvals"]))
    if "rules" in expect:
        _check(result, "rules", sorted(set(expect["rules"])), sorted(result.rules))
    for wanted in expect.get("reasons", []):
        if not any(all(r.get(k) == v for k, v in wanted.items()) for r in decision["reasons"]):
            seen = [(r["rule"], r["outcome"], r["item"]) for r in decision["reasons"]]
            result.failures.append(f"no reason matches {wanted}; reasons: {seen}")
    for wanted in expect.get("obligations", []):
        if not any(all(o.get(k) == v for k, v in wanted.items())
                   for o in decision["obligations"]):
            result.failures.append(f"no obligation matches {wanted}")
    return result


def _check(result: CaseResult, what: str, expected: Any, actual: Any) -> None:
    if expected is not None and expected != actual:
        result.failures.append(f"{what}: expected {expected}, got {actual}")
