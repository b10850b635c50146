"""Reads of the log that deciding needs: a request_id's first decision, a claim."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Engine, bindparam, select
from sqlalchemy.exc import SQLAlchemyError

from app.jsontext import loads
from app.log.models import Decision
from app.log.write.driver_sql import driver_sql, once_per_dialect

# The fields of a logged document that make up the answer of POST /v1/decisions.
RESPONSE_FIELDS = (
    "decision_id", "request_id", "action", "outcome", "required_approvals", "reasons",
    "obligations", "approval_problems", "policy", "as_of", "decided_at", "duration_ms",
)


@dataclass(frozen=True)
class Prior:
    fingerprint: str
    response: dict[str, Any]


def by_request_id(db_engine: Engine, request_id: str) -> Prior | None:
    with db_engine.connect() as connection:
        row = connection.execute(
            select(Decision.request_fingerprint, Decision.document).where(
                Decision.request_id == request_id
            )
        ).first()
    if row is None:
        return None
    document = loads(row.document)
    return Prior(row.request_fingerprint, {k: document.get(k) for k in RESPONSE_FIELDS})


def claim_lookup(db_engine: Engine):
    """lookup(decision_id) -> (client_id, outcome) of a logged claim decision, or None.

    Run on the decision path (a replacement shipment rests on its claim), so the query
    goes to the driver directly (app/log/write/driver_sql.py). A failure of the database
    raises ClaimLookupError.
    """
    sql, params = once_per_dialect(_claim_statement, db_engine.dialect)

    def lookup(decision_id: str) -> tuple[str, str] | None:
        if not isinstance(decision_id, str) or not decision_id:
            return None
        try:
            raw = db_engine.raw_connection()
        except SQLAlchemyError as error:
            raise ClaimLookupError(type(error).__name__) from None
        try:
            cursor = raw.cursor()
            cursor.execute(sql, params({"decision_id": decision_id, "action": "claim"}))
            row = cursor.fetchone()
            cursor.close()
        except db_engine.dialect.dbapi.Error as error:
            raw.invalidate()  # it may be broken; the pool makes a new one
            raise ClaimLookupError(type(error).__name__) from None
        finally:
            raw.close()
        return (row[0], row[1]) if row else None

    return lookup


class ClaimLookupError(SQLAlchemyError):
    """The log could not be read for a claim (the caller answers 503)."""


def _claim_statement(dialect) -> tuple[str, Any]:
    statement = select(Decision.client_id, Decision.outcome).where(
        Decision.decision_id == bindparam("decision_id"),
        Decision.action == bindparam("action"))
    return driver_sql(statement, dialect)
