"""`dealguard stats`: this period against the previous one, as a table for a terminal."""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

import click
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session

from app.cli.database import open_database
from app.cli.database import settings as cli_settings
from app.jsontext import dumps
from app.stats.labels import format_number, span
from app.stats.metrics import METRICS
from app.stats.periods import MAX_DATE, MIN_DATE, PERIODS, today
from app.stats.report import comparison

ARROWS = {"up": "↑", "down": "↓", "flat": "→", "new": "new"}


@click.command("stats")
@click.option("--manager", "manager_id", default=None, help="One manager's id; default all.")
@click.option("--period", type=click.Choice(PERIODS), default="week", show_default=True)
@click.option("--at", type=click.DateTime(formats=["%Y-%m-%d"]), default=None,
              help="A date inside the period (YYYY-MM-DD); default today in the zone.")
@click.option("--json", "as_json", is_flag=True, help="Print the GET /v1/stats answer instead.")
def stats(manager_id: str | None, period: str, at: dt.datetime | None, as_json: bool) -> None:
    """Every metric of the period against the previous one, with its direction."""
    settings = cli_settings()  # checks the zone, among others
    zone = ZoneInfo(settings.timezone)
    day = at.date() if at else today(zone)
    if not MIN_DATE <= day <= MAX_DATE:
        raise click.BadParameter(f"between {MIN_DATE} and {MAX_DATE}", param_hint="--at")
    database = open_database(settings)
    try:
        with Session(database) as session:
            answer = comparison(session, period, day, zone, manager_id)
    except SQLAlchemyError as error:
        # The type only: the message may quote the URL, and `db upgrade` is the usual fix.
        raise click.ClickException(
            f"cannot read the statistics ({type(error).__name__}); "
            "is the schema there (dealguard db upgrade)?"
        ) from None
    finally:
        database.dispose()
    if as_json:
        click.echo(dumps(answer, sort_keys=False))
    else:
        click.echo(render_table(answer, settings.timezone, today(zone)))


def render_table(answer: dict, zone_name: str, today: dt.date) -> str:
    """The comparison as aligned text: label, current, previous, change, %, direction."""
    who = f"manager {answer['manager_id']}" if answer["manager_id"] else "all managers"
    current = answer["current"]
    running = current["start"] <= today.isoformat() <= current["end"]
    lines = [
        f"{answer['period'].capitalize()} {_span(current)}"
        f"{' (so far)' if running else ''} against {_span(answer['previous'])}",
        f"{who} · {zone_name}",
        "",
    ]
    header = ("metric", "current", "previous", "change", "change %", "")
    rows = [header]
    for name, figures in answer["metrics"].items():
        metric = METRICS[name]
        places = 2 if metric.money else 0
        percent = figures["change_pct"]
        rows.append((
            metric.label,
            _number(figures["current"], places),
            _number(figures["previous"], places),
            _number(figures["change"], places, signed=True),
            "—" if percent is None else f"{percent:+}%",
            ARROWS[figures["trend"]],
        ))
    widths = [max(len(row[i]) for row in rows) for i in range(len(header))]
    for row in rows:
        cells = [row[0].ljust(widths[0])]
        cells += [cell.rjust(width) for cell, width in zip(row[1:5], widths[1:5], strict=True)]
        cells.append(row[5])
        lines.append("  ".join(cells).rstrip())
    return "\n".join(lines)


def _number(value: int | Decimal, places: int, signed: bool = False) -> str:
    text = format_number(abs(value), places)
    if signed and value > 0:
        return "+" + text
    if value < 0:
        return "-" + text
    return text


def _span(period: dict) -> str:
    return span(dt.date.fromisoformat(period["start"]), dt.date.fromisoformat(period["end"]))


commands = [stats]
