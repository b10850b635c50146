"""The metrics of CONTRACT §5 and the SQL aggregate that computes each one.

Two sources: the `activities` table (what the team did) and the decision log
(what the rules allowed). Each metric is one aggregate expression over one
source; `aggregate.py` puts them into a single GROUP BY per source.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import (
    ColumnElement,
    DateTime,
    Integer,
    String,
    case,
    cast,
    column,
    distinct,
    func,
    table,
)
from sqlalchemy.sql.expression import FromClause

from app.stats.models import Activity

# The decision log belongs to app.audit; only these three columns are read, so a
# lightweight table construct is enough and keeps this package free of its model
# (tests check that the model still has them). Decisions are attributed by
# `decided_at`, the moment the rules judged the action, not by `as_of`: the
# business date may be back- or forward-dated, while a director asks "what did the
# rules allow this week", and decided_at is also the column the log indexes.
DECISIONS = table(
    "decisions",
    column("actor_id", String(128)),
    column("outcome", String(20)),
    # Typed, so that period edges are bound in the stored format (SQLite compares text).
    column("decided_at", DateTime(timezone=True)),
)
ACTIVITIES: FromClause = Activity.__table__


@dataclass(frozen=True)
class Source:
    name: str
    table: FromClause
    time_column: str  # the UTC instant that places a row in a period
    person_column: str  # who the row is attributed to (manager_id filter)
    value_columns: tuple[str, ...]  # what the aggregates read


SOURCES = {
    "activities": Source(
        "activities", ACTIVITIES, "occurred_at", "manager_id",
        ("type", "outcome", "client_id", "amount"),
    ),
    "decisions": Source("decisions", DECISIONS, "decided_at", "actor_id", ("outcome",)),
}

# An aggregate receives the (sub)query's columns and the dialect name.
Aggregate = Callable[[object, str], ColumnElement]


@dataclass(frozen=True)
class Metric:
    name: str
    source: str
    money: bool
    label: str  # for people: the terminal table and the chart title
    aggregate: Aggregate


def _count_where(condition: Callable[[object], ColumnElement]) -> Aggregate:
    return lambda c, _dialect: func.sum(case((condition(c), 1), else_=0))


def _money_where(event_type: str) -> Aggregate:
    def aggregate(c, dialect: str) -> ColumnElement:
        amount = c.amount
        if dialect == "sqlite":
            # SQLite keeps NUMERIC as a double and would sum doubles; summing whole
            # kopecks as integers is exact. Rounding each value to the kopeck first
            # is exact too: every stored amount has at most two decimals and is far
            # below 2**53 kopecks. aggregate.py divides the sum by 100 again.
            amount = cast(func.round(c.amount * 100), Integer)
        return func.sum(case((c.type == event_type, amount), else_=0))

    return aggregate


def _of_type(event_type: str) -> Callable[[object], ColumnElement]:
    return lambda c: c.type == event_type


def _outcome(outcome: str) -> Callable[[object], ColumnElement]:
    return lambda c: c.outcome == outcome


METRIC_LIST = (
    Metric("calls", "activities", False, "Calls", _count_where(_of_type("call"))),
    Metric(
        "calls_connected", "activities", False, "Calls connected",
        _count_where(lambda c: (c.type == "call") & (c.outcome == "connected")),
    ),
    Metric("meetings", "activities", False, "Meetings", _count_where(_of_type("meeting"))),
    Metric("offers_sent", "activities", False, "Offers sent", _count_where(_of_type("offer_sent"))),
    Metric(
        "contracts_signed", "activities", False, "Contracts signed",
        _count_where(_of_type("contract_signed")),
    ),
    Metric(
        "deals_amount", "activities", True, "Deals signed, RUB", _money_where("contract_signed"),
    ),
    Metric(
        "payments_amount", "activities", True, "Payments received, RUB",
        _money_where("payment_received"),
    ),
    Metric(
        "clients_served", "activities", False, "Clients served",
        lambda c, _dialect: func.count(distinct(c.client_id)),
    ),
    Metric("decisions", "decisions", False, "Decisions", lambda c, _dialect: func.count()),
    Metric(
        "decisions_allowed", "decisions", False, "Decisions allowed",
        _count_where(_outcome("allow")),
    ),
    Metric(
        "decisions_denied", "decisions", False, "Decisions denied",
        _count_where(_outcome("deny")),
    ),
    Metric(
        "decisions_require_approval", "decisions", False, "Decisions needing approval",
        _count_where(_outcome("require_approval")),
    ),
)

METRICS: dict[str, Metric] = {metric.name: metric for metric in METRIC_LIST}
METRIC_NAMES = tuple(METRICS)
