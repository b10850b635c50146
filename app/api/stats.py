"""GET /v1/stats, /v1/stats/series and /v1/stats/chart.svg: period-over-period numbers.

Periods are calendar periods in DEALGUARD_TIMEZONE; `start` and `end` are ISO dates
in that zone and `end` is the last day of the period (inclusive).
"""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo

from apispec.yaml_utils import load_operations_from_docstring
from flask import Blueprint, Response, current_app, request
from marshmallow import Schema, ValidationError

from app import db
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
    """Every metric in one period against the period just before.
    ---
    get:
      summary: Statistics of a period compared with the previous one
      description: |
        `current` and `previous` are `{start, end}`: ISO dates in the configured zone,
        `end` inclusive. Each metric is `{current, previous, change, change_pct, trend}`;
        trend is up, down, flat, or new (previous 0, current above 0); change_pct is a
        percentage with one decimal, null when previous is 0. Money (deals_amount,
        payments_amount) is a JSON number in RUB. Decisions are counted by the moment
        they were made (decided_at) and attributed to actor.id.
      tags: [statistics]
      security: [{bearer: []}]
      parameters:
        - StatsPeriod
        - StatsAt
        - StatsManager
      responses:
        "200":
          description: "{period, current, previous, manager_id, metrics}"
          content:
            application/json:
              schema: {$ref: "#/components/schemas/StatsComparison"}
        "401": {description: "No key, an unknown or revoked key."}
        "403": {description: "A crm key, or a manager key asking about another manager."}
        "422": {description: "An invalid query parameter."}
    """
    query = _query(STATS_QUERY)
    return json_response(
        comparison(db.session(), query["period"], query["at"], _zone(), query["manager_id"])
    )


@blueprint.get("/v1/stats/series")
@requires("manager", "approver", "compliance", "admin")
def get_series() -> Response:
    """One metric over consecutive periods.
    ---
    get:
      summary: A metric over the last `count` periods, oldest first
      description: |
        `points` are `{start, end, value}` with ISO dates in the configured zone (`end`
        inclusive); the last point is the period containing `at`, which may still be
        in progress.
      tags: [statistics]
      security: [{bearer: []}]
      parameters:
        - StatsPeriod
        - StatsAt
        - StatsManager
        - StatsMetric
        - StatsCount
      responses:
        "200":
          description: "{metric, period, manager_id, points}"
          content:
            application/json:
              schema: {$ref: "#/components/schemas/StatsSeries"}
        "401": {description: "No key, an unknown or revoked key."}
        "403": {description: "A crm key, or a manager key asking about another manager."}
        "422": {description: "An invalid query parameter."}
    """
    return json_response(_series(_query(SERIES_QUERY)))


@blueprint.get("/v1/stats/chart.svg")
@requires("manager", "approver", "compliance", "admin")
def get_chart() -> Response:
    """The series drawn as an SVG line chart.
    ---
    get:
      summary: The same series as /v1/stats/series, as an SVG line chart
      description: |
        Titled, with dated axes, values with thousands separators and the period
        containing `at` marked; ready for a weekly report.
      tags: [statistics]
      security: [{bearer: []}]
      parameters:
        - StatsPeriod
        - StatsAt
        - StatsManager
        - StatsMetric
        - StatsCount
      responses:
        "200":
          description: The chart.
          content: {image/svg+xml: {schema: {type: string}}}
        "401": {description: "No key, an unknown or revoked key."}
        "403": {description: "A crm key, or a manager key asking about another manager."}
        "422": {description: "An invalid query parameter."}
    """
    query = _query(SERIES_QUERY)
    svg = render_chart(_series(query), today(_zone()), current_app.config["SETTINGS"].timezone)
    response = Response(svg, mimetype="image/svg+xml")
    # Opened directly, an SVG is a document: allow its inline style and nothing else.
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


# The query parameters the three endpoints share, as OpenAPI components.
OPENAPI_PARAMETERS = {
    "StatsPeriod": {"name": "period", "in": "query", "schema": {
        "type": "string", "enum": ["day", "week", "month", "quarter"], "default": "week"},
        "description": "Calendar period; a week is the ISO week, Monday first."},
    "StatsAt": {"name": "at", "in": "query", "schema": {"type": "string", "format": "date"},
                "description": "A date inside the (last) period; default today in the "
                               "configured zone."},
    "StatsManager": {"name": "manager_id", "in": "query", "schema": {"type": "string"},
                     "description": "One manager: activities by manager_id, decisions by "
                                    "actor.id; default all. A manager key gets its own and "
                                    "may not ask for another (403)."},
    "StatsMetric": {"name": "metric", "in": "query", "required": True,
                    "schema": {"type": "string"},
                    "description": "One of the metrics of /v1/stats, e.g. deals_amount."},
    "StatsCount": {"name": "count", "in": "query", "schema": {
        "type": "integer", "minimum": 1, "maximum": 104, "default": 12}},
}


def openapi_paths() -> dict[str, dict]:
    """These endpoints for the OpenAPI document, read from the views' docstrings."""
    return {
        "/v1/stats": load_operations_from_docstring(get_stats.__doc__),
        "/v1/stats/series": load_operations_from_docstring(get_series.__doc__),
        "/v1/stats/chart.svg": load_operations_from_docstring(get_chart.__doc__),
    }


def _series(query: dict) -> dict:
    return series(
        db.session(),
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
