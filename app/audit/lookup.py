"""Reads of the log that deciding needs: a request_id's first decision, a claim."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, select

from app.audit.canonical import loads
from app.audit.models import Decision

# The fields of a logged document that make up the answer of POST /v1/decisions.
RESPONSE_FIELDS = (
    "decision_id", "request_id", "action", "outcome", "required_approvals", "reasons",
    "obligations", "policy", "as_of", "decided_at", "duration_ms",
)


@dataclass(frozen=True)
class Prior:
    fingerprint: str
    response: dict[str, Any]


def by_request_id(engine: Engine, request_id: str) -> Prior | None:
    with engine.connect() as connection:
        row = connection.execute(
            select(Decision.request_fingerprint, Decision.document).where(
                Decision.request_id == request_id
            )
        ).first()
    if row is None:
        return None
    document = loads(row.document)
    return Prior(row.request_fingerprint, {k: document.get(k) for k in RESPONSE_FIELDS})


def claim_lookup(engine: Engine):
    """lookup(decision_id) -> (client_id, outcome) of a logged claim decision, or None."""

    def lookup(decision_id: str) -> tuple[str, str] | None:
        if not isinstance(decision_id, str) or not decision_id:
            return None
        with engine.connect() as connection:
            row = connection.execute(
                select(Decision.client_id, Decision.outcome).where(
                    Decision.decision_id == decision_id, Decision.action == "claim"
                )
            ).first()
        return (row.client_id, row.outcome) if row else None

    return lookup
