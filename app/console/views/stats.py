"""My week against the last (a manager), and the team's (head of sales, commercial
director): the numbers of GET /v1/stats, with the charts of /v1/stats/chart.svg."""

from __future__ import annotations

import functools
from zoneinfo import ZoneInfo

from flask import Response, abort, current_app, render_template, request
from sqlalchemy import select

from app.api import database
from app.console import blueprint, identity
from app.console.chart_words import chart_words
from app.console.words import MONEY_METRICS
from app.stats.chart import render_chart
from app.stats.metrics import METRIC_NAMES
from app.stats.models import Activity
from app.stats.periods import period_containing, today
from app.stats.report import comparison, series, team_comparison
from app.users import User

CHART_METRICS = ("decisions", "offers_sent", "contracts_signed", "deals_amount")
CHART_WEEKS = 8
TEAM_COLUMNS = ("decisions", "decisions_denied", "calls", "meetings", "offers_sent",
                "contracts_signed", "deals_amount", "payments_amount")


@blueprint.get("/week")
@identity.allowed("manager")
def my_week() -> str:
    person = identity.user()
    report = comparison(database.session(), "week", today(_zone()), _zone(), person.person_id)
    return render_template("console/week.html", report=report, metrics=METRIC_NAMES,
                           money=MONEY_METRICS, charts=CHART_METRICS,
                           manager_id=person.person_id)


@blueprint.get("/team")
@identity.allowed(team=True)
def team() -> str:
    session = database.session()
    day = today(_zone())
    sort = request.args.get("sort", "deals_amount")
    if sort not in TEAM_COLUMNS and sort != "manager":
        sort = "deals_amount"
    descending = request.args.get("dir", "desc") != "asc"
    team = team_comparison(session, "week", day, _zone(), _managers(session, day))
    rows = [{"manager_id": manager_id, "metrics": metrics}
            for manager_id, metrics in team.items()]
    if sort == "manager":
        rows.sort(key=lambda row: row["manager_id"], reverse=descending)
    else:
        rows.sort(key=lambda row: row["metrics"][sort]["current"], reverse=descending)
    totals = comparison(session, "week", day, _zone(), None)
    return render_template("console/team.html", rows=rows, columns=TEAM_COLUMNS,
                           money=MONEY_METRICS, sort=sort, descending=descending,
                           totals=totals, charts=CHART_METRICS)


def _managers(session, day) -> list[str]:
    """Every manager with a console user, or with activity this week or the last."""
    week = period_containing("week", day)
    since = week.previous().start
    people = set(session.scalars(select(User.person_id).where(User.role == "manager",
                                                               User.disabled_at.is_(None))))
    zone = _zone()
    from app.stats.periods import local_midnight_utc

    active = set(session.scalars(select(Activity.manager_id).distinct().where(
        Activity.occurred_at >= local_midnight_utc(since, zone))))
    return sorted(p for p in people | active if p)


@blueprint.get("/chart.svg")
@identity.allowed("manager", "approver", "compliance", "admin")
def chart() -> Response:
    """A metric's weekly series as the API draws it; a manager sees only their own."""
    person = identity.user()
    metric = request.args.get("metric", "")
    if metric not in METRIC_NAMES:
        abort(404)
    manager_id = request.args.get("manager_id") or None
    if person.role == "manager":
        if manager_id not in (None, person.person_id):
            abort(403)
        manager_id = person.person_id
    elif person.role == "approver" and not person.sees_team:
        abort(403)
    if manager_id is not None and not 1 <= len(manager_id) <= 128:
        abort(404)
    data = series(database.session(), metric, "week", today(_zone()), CHART_WEEKS, _zone(),
                  manager_id)
    svg = render_chart(data, today(_zone()), current_app.config["SETTINGS"].timezone,
                       chart_words())
    response = Response(svg, mimetype="image/svg+xml")
    response.headers["Content-Security-Policy"] = "default-src 'none'; style-src 'unsafe-inline'"
    return response


def _zone() -> ZoneInfo:
    return _zone_named(current_app.config["SETTINGS"].timezone)


@functools.cache
def _zone_named(name: str) -> ZoneInfo:
    return ZoneInfo(name)
