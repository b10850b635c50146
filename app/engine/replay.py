"""What another policy would have decided on requests already decided (CONTRACT §5, §12).

Each request is decided again by the candidate, with `as_of` fixed to the business
date it was first decided on, so date rules replay the same day; a claim_replacement
shipment looks its claim up through `claims`, as when it was decided. The outcome is
compared with the one first given: transitions are counted, and the first changes and
the first requests the candidate refuses are kept as samples.

The requests come from wherever the caller reads them (the decision log, for
`policy impact`: app/impact_service.py); nothing is written, and the candidate is
dropped afterwards. A shadow run over live decisions (app/decision_service.py) judges
each request with the same `judge`, so a shadow's transitions are those impact counts
on the same requests.
"""

from __future__ import annotations

import logging
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from app.engine.approvals import ApprovalLookup, Proposal, Referenced
from app.engine.facts import ClaimLookup
from app.engine.policy import Evaluation, Policy
from app.schemas import InvalidRequest

log = logging.getLogger(__name__)

MAX_SAMPLES = 20
MAX_ERROR_SAMPLES = 5


@dataclass
class Impact:
    replayed: int = 0  # requests decided again (errors included)
    changed: int = 0
    errors: int = 0  # requests the candidate could not decide (e.g. no longer valid)
    by_transition: Counter = field(default_factory=Counter)
    samples: list[dict[str, Any]] = field(default_factory=list)
    error_samples: list[dict[str, Any]] = field(default_factory=list)

    def as_dict(self, candidate: Policy) -> dict[str, Any]:
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


def replay(candidate: Policy, decided: Iterable[Any], claims: ClaimLookup | None,
           timezone: str) -> Impact:
    """Decide every request of `decided` again under `candidate`; what changed.

    Each item is a request as it was decided, with `seq`, `decision_id`, `action`,
    `outcome` (the one first given), `as_of`, `request` and `reasons` (the first
    decision's): app.log.read.requests.LoggedRequest is one.
    """
    impact = Impact()
    for before in decided:
        _replay_one(impact, candidate, before, claims, timezone)
    return impact


@dataclass(frozen=True)
class Judged:
    """The candidate's answer to one request, or why it gave none."""

    evaluation: Evaluation | None
    errors: dict[str, Any] | None = None  # the request's field errors, or the failure
    failure: str | None = None  # the type of an exception the candidate raised


def judge(candidate: Policy, request: dict[str, Any], as_of: str | None,
          claims: ClaimLookup | None, timezone: str,
          approvals: ApprovalLookup | None = None) -> Judged:
    """Decide `request` on its business date `as_of` under `candidate`; never raises.

    `approvals` answers for the approvals the request references (app.engine.approvals).
    """
    try:
        after = candidate.evaluate({**request, "as_of": as_of}, claims=claims,
                                   timezone=timezone, approvals=approvals)
    except InvalidRequest as error:
        return Judged(None, errors=error.errors)
    except Exception as error:  # noqa: BLE001 - one odd request must not end the caller
        # The type only: the message could quote a (masked) request value.
        name = type(error).__name__
        return Judged(None, errors={"_schema": [f"The candidate could not decide it "
                                                f"({name})."]}, failure=name)
    return Judged(after)


def _replay_one(impact: Impact, candidate: Policy, before: Any,
                claims: ClaimLookup | None, timezone: str) -> None:
    impact.replayed += 1
    judged = judge(candidate, before.request, before.as_of, claims, timezone,
                   approvals=_as_first_counted(before.reasons))
    if judged.evaluation is None:
        if judged.failure is not None:
            log.warning("replay of seq %s failed: %s", before.seq, judged.failure)
        _error(impact, before, judged.errors or {})
        return
    after = judged.evaluation
    if after.outcome == before.outcome:
        return
    impact.changed += 1
    impact.by_transition[f"{before.outcome}->{after.outcome}"] += 1
    if len(impact.samples) < MAX_SAMPLES:
        impact.samples.append({
            "decision_id": before.decision_id,
            "seq": before.seq,
            "action": before.action,
            "as_of": before.as_of,
            "before": before.outcome,
            "after": after.outcome,
            "rules_before": _rules(before.reasons),
            "rules_after": _rules(after.reasons),
            "required_approvals_after": after.required_approvals,
        })


def _error(impact: Impact, before: Any, errors: dict[str, Any]) -> None:
    impact.errors += 1
    if len(impact.error_samples) < MAX_ERROR_SAMPLES:
        impact.error_samples.append({"decision_id": before.decision_id, "seq": before.seq,
                                     "errors": errors})


def _rules(reasons: Any) -> list[str]:
    return list(dict.fromkeys(str(r.get("rule")) for r in reasons or () if isinstance(r, dict)))


def _as_first_counted(reasons: list[dict[str, Any]] | None) -> ApprovalLookup:
    """Approvals referenced by the request count again as they counted the first time:
    the ones a reason was satisfied by, in their role; the others not."""
    counted = {reason["approval_id"]: reason["satisfied_by"] for reason in reasons or ()
               if isinstance(reason, dict) and reason.get("approval_id")}

    def lookup(approval_id: str, _proposal: Proposal) -> Referenced:
        role = counted.get(approval_id)
        return Referenced(role, None) if role else Referenced("", "other_proposal")

    return lookup
