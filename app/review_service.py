"""A candidate policy reviewed before it is published (CONTRACT §11, the policy owner):
its `policy test` results on the shipped case files and its impact on the last 30 days.

The tests are those `dealguard policy test` runs (app/cli/policy.py): the case files in
the `tests` folder beside the configured policy file, decided by the candidate. The
impact is the replay of POST /v1/policy/impact (app/impact_service.py) over a fixed
window, at most `impact_service.DEFAULT_LIMIT` decisions, so a page that shows it stays
quick. Nothing here writes anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from app import impact_service
from app.engine.casefile import CaseResult, case_files, run_file
from app.engine.policy import Policy
from app.log.read.query import Filters, parse_instant

IMPACT_DAYS = 30


@dataclass
class TestReport:
    """The cases of every file in `folder`; `failures` are the cases that failed."""

    folder: str
    files: int = 0
    passed: int = 0
    failures: list[CaseResult] = field(default_factory=list)

    @property
    def failed(self) -> int:
        return len(self.failures)


def tests_folder(policy_path: str) -> Path:
    """Where `dealguard policy test` looks by default: `tests` beside the policy file."""
    return Path(policy_path).parent / "tests"


def run_tests(candidate: Policy, folder: Path, timezone: str) -> TestReport:
    """Every case of the folder's case files decided by `candidate`, as the CLI runs them."""
    report = TestReport(str(folder))
    for path in case_files(folder):
        report.files += 1
        try:
            results = run_file(candidate, path, timezone)
        except Exception as error:  # noqa: BLE001 - a file that cannot run is a failure
            # The type only, as a replay reports it: the candidate broke, not the page.
            results = [CaseResult(path.name, "—", [f"the file could not be run "
                                                   f"({type(error).__name__})"])]
        for result in results:
            if result.passed:
                report.passed += 1
            else:
                report.failures.append(result)
    return report


def recent_impact(db_engine: Engine, candidate: Policy, today: date,
                  timezone: str) -> dict[str, Any]:
    """The impact answer over the last IMPACT_DAYS days up to `today` (its business day),
    the newest DEFAULT_LIMIT decisions at most; plus the window and the limit."""
    since = today - timedelta(days=IMPACT_DAYS)
    filters = Filters(since=parse_instant(since.isoformat(), timezone, end_of_day=False))
    answer = impact_service.impact(db_engine, candidate, filters,
                                   impact_service.DEFAULT_LIMIT, timezone)
    return {**answer, "since": since, "until": today, "limit": impact_service.DEFAULT_LIMIT}
