"""Every YAML case of policies/tests runs here too, so `make test` guards the policy."""

from pathlib import Path

import pytest

from app.engine.casefile import run_file

ROOT = Path(__file__).resolve().parents[2]

CASE_FILES = sorted((ROOT / "policies" / "tests").glob("*.yaml"))


def test_there_are_case_files():
    assert len(CASE_FILES) >= 5


@pytest.mark.parametrize("path", CASE_FILES, ids=lambda p: Path(p).stem)
def test_policy_cases_pass(policy, path):
    results = run_file(policy, path)
    assert results, f"{path.name} has no cases"
    failures = [(r.name, r.failures) for r in results if not r.passed]
    assert failures == []


def test_cases_reach_every_rule(policy):
    reached = set()
    for path in CASE_FILES:
        for result in run_file(policy, path):
            reached |= result.rules
    assert {rule.id for rule in policy.rules} - reached == set()
