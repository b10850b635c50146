"""GET /v1/stats, /v1/stats/series and /v1/stats/chart.svg: period-over-period numbers.

Periods are calendar periods in DEALGUARD_TIMEZONE; `start` and `end` are ISO dates
in that zone and `end` is the last day of the period (inclusive).
"""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo

from flask import Blueprint, Response, current_app, request
from marshmallow import Schema, ValidationError

from app.api import database
from app.api.respond import json_response
from app.auth import current_key, requires
from app.problems import Problem
from app.schemas import flatten_errors
from app.stats.chart import render_chart
from app.stats.periods import today
from app.stats.report import comparison, series
from app.stats.schemas import SeriesQuery, StatsQuery

blueprint = Blueprint("stats", __name__)

STATS_QUERY = StatsQuery()
SERIES_QUERY = SeriesQuery()


@blueprint.get("/v1/stats")
@requires("manager", "approver", "compliance", "admin")
def get_stats() -> Response:
    """Every metric in one period against the period just before."""
    query = _query(STATS_QUERY)
    return json_response(
        comparison(database.session(), query["period"], query["at"], _zone(), query["manager_id"])
    )


@blueprint.get("/v1/stats/series")
@requires("manager", "approver", "compliance", "admin")
def get_series() -> Response:
    """One metric over consecutive periods."""
    return json_response(_series(_query(SERIES_QUERY)))


@blueprint.get("/v1/stats/chart.svg")
@requires("manager", "approver", "compliance", "admin")
def get_chart() -> Response:
    """The series drawn as an SVG line chart."""
    query = _query(SERIES_QUERY)
    svg = render_chart(_series(query), today(_zone()), current_app.config["SETTINGS"].timezone)
    response = Response(svg, mimetype="image/svg+xml")
    # Opened directly, an SVG is a document: allow its inline style and nothing else.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


def _series(query: dict) -> dict:
    return series(
        database.session(),
        query["metric"],
        query["period"],
        query["at"],
        query["count"],
        _zone(),
        query["manager_id"],
    )


def _query(schema: Schema) -> dict:
    """The validated query string, with `at` defaulted and the manager scope applied."""
    repeated = [name for name, values in request.args.lists() if len(values) > 1]
    if repeated:
        errors = {name: ["Give this parameter once."] for name in repeated}
        raise Problem(422, "A query parameter was given more than once.", errors)
    try:
        query = schema.load(request.args.to_dict())
    except ValidationError as error:
        raise Problem(
            422, "The query parameters are invalid.", flatten_errors(error.messages)
        ) from None
    if query["at"] is None:
        query["at"] = today(_zone())
    query["manager_id"] = _manager_scope(query["manager_id"])
    return query


def _manager_scope(asked: str | None) -> str | None:
    """CONTRACT §6: a manager key sees only its own numbers; it gets them by default."""
    key = current_key()
    if key.role != "manager":
        return asked
    if not key.person_id:
        raise Problem(403, "This manager key has no manager id.")
    if asked is not None and asked != key.person_id:
        raise Problem(403, "A manager key may only see its own statistics.")
    return key.person_id


def _zone() -> ZoneInfo:
    return _zone_named(current_app.config["SETTINGS"].timezone)


@functools.cache
def _zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)
