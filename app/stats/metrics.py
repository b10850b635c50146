"""The metrics of CONTRACT §5: what each one counts, and in which source.

Two sources: the `activities` table (what the team did) and the decision log
(what the rules allowed). A metric counts the rows of one source that match its
event types and outcome, sums their amounts, or counts their distinct clients.
"""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import DateTime, String, column, table
from sqlalchemy.sql.expression import FromClause

from app.stats.models import EVENT_TYPES, Activity

# The decision log belongs to app.log; only these three columns are read, so a
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
    type_column: str | None  # the event type, where the source has one


SOURCES = {
    "activities": Source("activities", ACTIVITIES, "occurred_at", "manager_id", "type"),
    "decisions": Source("decisions", DECISIONS, "decided_at", "actor_id", None),
}


@dataclass(frozen=True)
class Metric:
    """What one metric counts; `aggregate.py` turns it into SQL."""

    name: str
    source: str
    label: str  # for people: the terminal table and the chart title
    types: tuple[str, ...] = ()  # activities: the event types it reads
    outcome: str | None = None  # only rows with this outcome
    money: bool = False  # the sum of `amount` rather than a count of rows
    distinct_clients: bool = False  # the number of distinct client_id rather than rows


METRIC_LIST = (
    Metric("calls", "activities", "Calls", ("call",)),
    Metric("calls_connected", "activities", "Calls connected", ("call",), "connected"),
    Metric("meetings", "activities", "Meetings", ("meeting",)),
    Metric("offers_sent", "activities", "Offers sent", ("offer_sent",)),
    Metric("contracts_signed", "activities", "Contracts signed", ("contract_signed",)),
    Metric("deals_amount", "activities", "Deals signed, RUB", ("contract_signed",), money=True),
    Metric(
        "payments_amount", "activities", "Payments received, RUB", ("payment_received",),
        money=True,
    ),
    Metric("clients_served", "activities", "Clients served", EVENT_TYPES, distinct_clients=True),
    Metric("decisions", "decisions", "Decisions"),
    Metric("decisions_allowed", "decisions", "Decisions allowed", outcome="allow"),
    Metric("decisions_denied", "decisions", "Decisions denied", outcome="deny"),
    Metric(
        "decisions_require_approval", "decisions", "Decisions needing approval",
        outcome="require_approval",
    ),
)

METRICS: dict[str, Metric] = {metric.name: metric for metric in METRIC_LIST}
METRIC_NAMES = tuple(METRICS)
