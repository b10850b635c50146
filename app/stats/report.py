"""The answers of GET /v1/stats and /v1/stats/series, shared by the API, the CLI and
the chart. Periods are shown as ISO dates in the configured zone, `end` inclusive."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from app.stats.aggregate import metric_values, metric_values_by_manager
from app.stats.metrics import METRIC_NAMES
from app.stats.periods import period_containing, periods_ending_at
from app.stats.trend import compare


def comparison(
    session: Session, period: str, at: dt.date, zone: ZoneInfo, manager_id: str | None = None
) -> dict:
    """Every metric in the period containing `at` against the period just before."""
    current = period_containing(period, at)
    previous = current.previous()
    values = metric_values(session, [previous, current], METRIC_NAMES, zone, manager_id)
    return {
        "period": period,
        "current": current.as_dict(),
        "previous": previous.as_dict(),
        "manager_id": manager_id,
        "metrics": {name: compare(pair[1], pair[0]) for name, pair in values.items()},
    }


def team_comparison(
    session: Session, period: str, at: dt.date, zone: ZoneInfo, manager_ids: list[str]
) -> dict[str, dict]:
    """{manager: the metrics of `comparison` for that manager}, read for all at once."""
    current = period_containing(period, at)
    previous = current.previous()
    values = metric_values_by_manager(session, [previous, current], METRIC_NAMES, zone,
                                      manager_ids)
    return {manager: {name: compare(pair[1], pair[0]) for name, pair in metrics.items()}
            for manager, metrics in values.items()}


def series(
    session: Session,
    metric: str,
    period: str,
    at: dt.date,
    count: int,
    zone: ZoneInfo,
    manager_id: str | None = None,
) -> dict:
    """One metric over `count` periods, oldest first, the last containing `at`."""
    periods = periods_ending_at(period, at, count)
    values = metric_values(session, periods, [metric], zone, manager_id)[metric]
    return {
        "metric": metric,
        "period": period,
        "manager_id": manager_id,
        "points": [
            {**p.as_dict(), "value": v} for p, v in zip(periods, values, strict=True)
        ],
    }
