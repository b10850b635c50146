"""What a candidate policy would have decided on logged requests (CONTRACT §5).

Each logged request (masked: no rule reads a confidential field, so the tokens in
their place change nothing) is decided again by the candidate, with `as_of` fixed
to the business date it was first decided on, so date rules replay the same day.
A claim_replacement shipment looks its claim up in the log, as when it was decided.
Nothing is written: the candidate is compiled in memory and dropped afterwards.
"""

from __future__ import annotations

import logging
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Engine

from app.audit.canonical import loads
from app.audit.lookup import claim_lookup
from app.audit.models import Decision
from app.audit.query import Filters, batches
from app.schemas import InvalidRequest

log = logging.getLogger(__name__)

DEFAULT_LIMIT = 1000
MAX_SAMPLES = 20
MAX_ERROR_SAMPLES = 5
_COLUMNS = (Decision.seq, Decision.decision_id, Decision.action, Decision.outcome,
            Decision.document)


@dataclass
class Impact:
    replayed: int = 0  # logged decisions read and decided again (errors included)
    changed: int = 0
    errors: int = 0  # requests the candidate could not decide (e.g. no longer valid)
    by_transition: Counter = field(default_factory=Counter)
    samples: list[dict[str, Any]] = field(default_factory=list)
    error_samples: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self, candidate: Any) -> dict[str, Any]:
        return {
            "replayed": self.replayed,
            "changed": self.changed,
            "unchanged": self.replayed - self.changed - self.errors,
            "errors": self.errors,
            "by_transition": dict(sorted(self.by_transition.items())),
            "samples": self.samples,
            "error_samples": self.error_samples,
            "candidate": {"name": candidate.name, "version": candidate.version,
                          "sha256": candidate.sha256},
        }


def replay(engine: Engine, candidate: Any, filters: Filters, limit: int,
           timezone: str) -> dict[str, Any]:
    """Decide the newest `limit` matching logged requests again under `candidate`."""
    impact = Impact()
    claims = claim_lookup(engine)
    for rows in batches(engine, filters, _COLUMNS, newest_first=True, size=500, limit=limit):
        for row in rows:
            _replay_one(impact, candidate, row, claims, timezone)
    return impact.as_dict(candidate)


def _replay_one(impact: Impact, candidate: Any, row: Any, claims: Any, timezone: str) -> None:
    impact.replayed += 1
    document = loads(row.document)
    request = dict(document.get("request") or {})
    request["as_of"] = document.get("as_of")
    try:
        after = candidate.evaluate(request, claims=claims, timezone=timezone)
    except InvalidRequest as error:
        _error(impact, row, error.errors)
        return
    except Exception as error:  # noqa: BLE001 - one odd record must not end the replay
        # The type only: the message could quote a (masked) request value.
        log.warning("impact replay of seq %s failed: %s", row.seq, type(error).__name__)
        _error(impact, row, {"_schema": [f"The candidate could not decide it "
                                         f"({type(error).__name__})."]})
        return
    if after.outcome == row.outcome:
        return
    impact.changed += 1
    impact.by_transition[f"{row.outcome}->{after.outcome}"] += 1
    if len(impact.samples) < MAX_SAMPLES:
        impact.samples.append({
            "decision_id": row.decision_id,
            "seq": row.seq,
            "action": row.action,
            "as_of": document.get("as_of"),
            "before": row.outcome,
            "after": after.outcome,
            "rules_before": _rules(document.get("reasons")),
            "rules_after": _rules(after.reasons),
            "required_approvals_after": after.required_approvals,
        })


def _error(impact: Impact, row: Any, errors: dict[str, Any]) -> None:
    impact.errors += 1
    if len(impact.error_samples) < MAX_ERROR_SAMPLES:
        impact.error_samples.append({"decision_id": row.decision_id, "seq": row.seq,
                                     "errors": errors})


def _rules(reasons: Any) -> list[str]:
    return list(dict.fromkeys(str(r.get("rule")) for r in reasons or () if isinstance(r, dict)))
