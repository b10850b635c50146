"""Metric values per period, computed in SQL: one GROUP BY per source, whatever the
number of periods or rows.

Each row is put in its period by a CASE expression over the periods' UTC edges,
nested as a binary search, so a row costs about log2(periods) comparisons and the
query is the same plain SQL on SQLite and PostgreSQL (no time-zone functions in
the database: the edges come from `periods.py`, which knows the calendar).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from decimal import Decimal
from zoneinfo import ZoneInfo

from sqlalchemy import ColumnElement, case, literal_column, select
from sqlalchemy.orm import Session

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
    dialect = session.get_bind().dialect.name
    metrics = [METRICS[name] for name in metric_names]
    values: dict[str, list[Value]] = {}
    for source in SOURCES.values():
        wanted = [metric for metric in metrics if metric.source == source.name]
        if wanted:
            values.update(_query(session, source, wanted, edges, dialect, manager_id))
    return {name: values[name] for name in metric_names}


def _query(
    session: Session,
    source: Source,
    metrics: list[Metric],
    edges: list[dt.datetime],
    dialect: str,
    manager_id: str | None,
) -> dict[str, list[Value]]:
    columns = source.table.c
    time = columns[source.time_column]
    conditions = [time >= edges[0], time < edges[-1]]
    if manager_id is not None:
        conditions.append(columns[source.person_column] == manager_id)
    # The bucket is computed in a subquery and grouped on outside: PostgreSQL would not
    # see a CASE with bound parameters in SELECT and in GROUP BY as the same expression.
    rows = (
        select(
            _bucket(time, edges, 0, len(edges) - 1).label("bucket"),
            *(columns[name] for name in source.value_columns),
        )
        .where(*conditions)
        .subquery("rows")
    )
    query = select(
        rows.c.bucket,
        *(metric.aggregate(rows.c, dialect).label(metric.name) for metric in metrics),
    ).group_by(rows.c.bucket)

    count = len(edges) - 1
    values: dict[str, list[Value]] = {
        metric.name: [_zero(metric)] * count for metric in metrics
    }
    for row in session.execute(query).mappings():
        for metric in metrics:
            values[metric.name][row["bucket"]] = _convert(metric, row[metric.name], dialect)
    return values


def _bucket(time: ColumnElement, edges: list[dt.datetime], low: int, high: int) -> ColumnElement:
    """The index i of the period with edges[i] <= time < edges[i + 1], for low <= i < high."""
    if high - low == 1:
        return literal_column(str(low))
    middle = (low + high) // 2
    return case(
        (time < edges[middle], _bucket(time, edges, low, middle)),
        else_=_bucket(time, edges, middle, high),
    )


def _zero(metric: Metric) -> Value:
    return Decimal("0.00") if metric.money else 0


def _convert(metric: Metric, raw: object, dialect: str) -> Value:
    if raw is None:
        return _zero(metric)
    if not metric.money:
        return int(raw)
    if dialect == "sqlite":
        return (Decimal(int(raw)) / 100).quantize(KOPECK)  # summed as whole kopecks
    return Decimal(raw).quantize(KOPECK)
