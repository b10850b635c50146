"""Metric values per period, computed in SQL: one statement per source (and one for
distinct clients), whatever the number of periods or rows.

The statement is a UNION ALL of one aggregate per period, each restricted to that
period's UTC edges: every part is an index range scan that only adds up, with no
per-row expression to place a row and no sort to group it (a GROUP BY over a
computed period costs more than the scan itself on both databases). It is the
same plain SQL on SQLite and PostgreSQL: no time-zone functions in the database,
the edges come from `periods.py`, which knows the calendar.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import (
    ColumnElement,
    Integer,
    Select,
    and_,
    case,
    cast,
    distinct,
    func,
    literal_column,
    select,
    text,
    union_all,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import Session

from app.db import is_postgresql, is_sqlite
from app.stats.metrics import METRICS, SOURCES, Metric, Source
from app.stats.periods import Period

KOPECK = Decimal("0.01")
Value = int | Decimal


def metric_values(
    session: Session,
    periods: Sequence[Period],
    metric_names: Sequence[str],
    zone: ZoneInfo,
    manager_id: str | None = None,
) -> dict[str, list[Value]]:
    """{metric: [value per period]} for consecutive `periods` (oldest first)."""
    edges = [period.utc_start(zone) for period in periods] + [periods[-1].utc_end(zone)]
    dialect = session.get_bind().dialect
    if is_postgresql(dialect):
        # The planner sums the costs of all the parts and would JIT-compile each one:
        # measured, compiling 52 small aggregates took longer than running them.
        session.execute(text("SET LOCAL jit = off"))
    metrics = [METRICS[name] for name in metric_names]
    values: dict[str, list[Value]] = {}
    for source in SOURCES.values():
        mine = [metric for metric in metrics if metric.source == source.name]
        totals = [metric for metric in mine if not metric.distinct_clients]
        if totals:
            values.update(_totals(session, source, totals, edges, dialect, manager_id))
        for metric in mine:
            if metric.distinct_clients:
                values[metric.name] = _distinct_clients(session, source, metric, edges, manager_id)
    return {name: values[name] for name in metric_names}


def metric_values_by_manager(
    session: Session,
    periods: Sequence[Period],
    metric_names: Sequence[str],
    zone: ZoneInfo,
    manager_ids: Sequence[str],
) -> dict[str, dict[str, list[Value]]]:
    """{manager: {metric: [value per period]}} for each of `manager_ids`, in one statement
    per source grouped by manager: a team's page asks once, not once per manager."""
    edges = [period.utc_start(zone) for period in periods] + [periods[-1].utc_end(zone)]
    dialect = session.get_bind().dialect
    if is_postgresql(dialect):
        session.execute(text("SET LOCAL jit = off"))  # as in metric_values
    metrics = [METRICS[name] for name in metric_names]
    found: dict[str, dict[str, list[Value]]] = {
        manager: {metric.name: [_zero(metric)] * len(periods) for metric in metrics}
        for manager in manager_ids}
    if not manager_ids:
        return found
    for source in SOURCES.values():
        mine = [metric for metric in metrics if metric.source == source.name]
        totals = [metric for metric in mine if not metric.distinct_clients]
        if totals:
            aggregates = [_aggregate(metric, source, dialect).label(metric.name)
                          for metric in totals]
            query = _per_period(source, totals, edges, None, aggregates, manager_ids)
            for row in session.execute(query).mappings():
                for metric in totals:
                    found[row["manager"]][metric.name][row["period"]] = _convert(
                        metric, row[metric.name], dialect)
        for metric in mine:
            if metric.distinct_clients:
                aggregate = func.count(distinct(source.table.c.client_id)).label("clients")
                query = _per_period(source, [metric], edges, None, [aggregate], manager_ids)
                for row in session.execute(query).mappings():
                    found[row["manager"]][metric.name][row["period"]] = int(row["clients"])
    return found


def _per_period(
    source: Source,
    metrics: list[Metric],
    edges: list[dt.datetime],
    manager_id: str | None,
    aggregates: list[ColumnElement],
    per_manager: Sequence[str] | None = None,
) -> Select:
    """`aggregates` over the source's rows, one result row per period: (period, ...);
    with `per_manager`, one per period and manager of those: (period, manager, ...)."""
    table = source.table.c
    time = table[source.time_column]
    person = table[source.person_column]
    conditions = []
    types = sorted({kind for metric in metrics for kind in metric.types})
    if source.type_column and types:
        # Only the event types counted: with `type` leading the indexes, a series of
        # deals reads the contracts, not every call.
        conditions.append(table[source.type_column].in_(types))
    if manager_id is not None:
        conditions.append(person == manager_id)
    if per_manager is not None:
        conditions.append(person.in_(per_manager))
    parts = []
    for index in range(len(edges) - 1):
        part = select(literal_column(str(index)).label("period"),
                      *([person.label("manager")] if per_manager is not None else []),
                      *aggregates).where(time >= edges[index], time < edges[index + 1],
                                         *conditions)
        parts.append(part.group_by(person) if per_manager is not None else part)
    return parts[0] if len(parts) == 1 else union_all(*parts)


def _totals(
    session: Session,
    source: Source,
    metrics: list[Metric],
    edges: list[dt.datetime],
    dialect: Dialect,
    manager_id: str | None,
) -> dict[str, list[Value]]:
    aggregates = [_aggregate(metric, source, dialect).label(metric.name) for metric in metrics]
    query = _per_period(source, metrics, edges, manager_id, aggregates)
    values = {metric.name: [_zero(metric)] * (len(edges) - 1) for metric in metrics}
    for row in session.execute(query).mappings():
        for metric in metrics:
            values[metric.name][row["period"]] = _convert(metric, row[metric.name], dialect)
    return values


def _aggregate(metric: Metric, source: Source, dialect: Dialect) -> ColumnElement:
    table = source.table.c
    conditions = []
    if metric.types:
        conditions.append(table[source.type_column].in_(metric.types))
    if metric.outcome is not None:
        conditions.append(table.outcome == metric.outcome)
    value: ColumnElement | int = 1
    if metric.money:
        value = table.amount
        if is_sqlite(dialect):
            # SQLite keeps NUMERIC as a double and would sum doubles; summing whole
            # kopecks as integers is exact. Rounding each value to the kopeck first is
            # exact too: every amount has at most two decimals and is far below 2**53
            # kopecks. _convert divides by 100 again.
            value = cast(func.round(table.amount * 100), Integer)
    if not conditions:
        return func.count()
    return func.sum(case((and_(*conditions), value), else_=0))


def _distinct_clients(
    session: Session,
    source: Source,
    metric: Metric,
    edges: list[dt.datetime],
    manager_id: str | None,
) -> list[Value]:
    aggregate = func.count(distinct(source.table.c.client_id)).label("clients")
    query = _per_period(source, [metric], edges, manager_id, [aggregate])
    values: list[Value] = [0] * (len(edges) - 1)
    for period, clients in session.execute(query):
        values[period] = int(clients)
    return values


def _zero(metric: Metric) -> Value:
    return Decimal("0.00") if metric.money else 0


def _convert(metric: Metric, raw: object, dialect: Dialect) -> Value:
    if raw is None:
        return _zero(metric)
    if not metric.money:
        return int(raw)
    if is_sqlite(dialect):
        return (Decimal(int(raw)) / 100).quantize(KOPECK)  # summed as whole kopecks
    return Decimal(raw).quantize(KOPECK)
