"""How to read one filtered query: where in seq it can start and stop, which index leads.

Two choices a database cannot make well on its own here (SQLite keeps no
statistics unless told to, and the time bounds need the writer's habits):

- a time window becomes seq bounds (app.log.read.window);
- with a rule or principle filter, either the reasons index leads (walk the rule's
  decisions in seq order and join each: right for a rare rule), or the decisions
  side leads and each row is probed for the rule (right when a client, an actor or
  a subject has far fewer decisions than the rule has matches: rule=common&client_id=x
  took half a second through the reasons on a million records, a millisecond the
  other way). Both sides are counted from their indexes, up to CAP rows each, and
  the smaller one leads.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Connection, func, or_, select

from app.log.models import Decision, DecisionReason
from app.log.read import window

CAP = 2000


@dataclass(frozen=True)
class Plan:
    above: int | None = None  # every match has seq > above
    below: int | None = None  # ... and seq < below
    driver: str | None = None  # "rule" or "principle": read through the reasons index


def default(filters: Any) -> Plan:
    """No look at the data: the reasons index leads whenever there is a rule filter."""
    return Plan(driver=_reason_filter(filters))


def make(connection: Connection, filters: Any) -> Plan:
    above, below = window.seq_range(connection, filters.since, filters.until)
    driver = _reason_filter(filters)
    if driver is not None:
        narrow = _narrow_terms(filters)
        if narrow:
            reasons = _capped(connection, select(DecisionReason.decision_seq).where(
                getattr(DecisionReason, driver) == getattr(filters, driver)))
            decisions = _capped(connection, select(Decision.seq).where(*narrow))
            if decisions < reasons:
                driver = None
    return Plan(above, below, driver)


def _reason_filter(filters: Any) -> str | None:
    if filters.rule is not None:
        return "rule"
    return "principle" if filters.principle is not None else None


def _narrow_terms(filters: Any) -> list[Any]:
    """The filters that usually pick few decisions, each with an index of its own."""
    terms = []
    if filters.client_id is not None:
        terms.append(Decision.client_id == filters.client_id)
    if filters.actor_id is not None:
        terms.append(Decision.actor_id == filters.actor_id)
    if filters.subject_id is not None:
        terms.append(or_(Decision.subject_id == filters.subject_id,
                         Decision.order_id == filters.subject_id))
    return terms


def _capped(connection: Connection, statement: Any) -> int:
    return connection.execute(
        select(func.count()).select_from(statement.limit(CAP).subquery())).scalar()
