"""The SQL aggregation: every metric, attribution, period edges in a zone, exact money.

Each test runs on SQLite and on PostgreSQL (`backend`).
"""

from __future__ import annotations

import datetime as dt
from decimal import Decimal
from zoneinfo import ZoneInfo

from app.stats.aggregate import metric_values
from app.stats.metrics import METRIC_NAMES
from app.stats.periods import period_containing, periods_ending_at
from app.stats.report import comparison, series, team_comparison

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
D = dt.date.fromisoformat
WEEK = period_containing("week", D("2026-11-25"))  # Mon 23 Nov - Sun 29 Nov 2026
LAST_WEEK = WEEK.previous()


def values(session, periods, zone=MOSCOW, manager=None, names=METRIC_NAMES):
    return metric_values(session, periods, list(names), zone, manager)


def test_every_metric(backend, session, add_events, add_decision, event) -> None:
    now = "2026-11-24T12:00:00+03:00"
    add_events(
        event("call", now, outcome="connected", client="c-1"),
        event("call", now, outcome="connected", client="c-1"),
        event("call", now, outcome="no_answer", client="c-2"),
        event("call", now, client="c-2"),  # outcome unknown: a call, not connected
        event("meeting", now, client="c-3"),
        event("offer_sent", now, client="c-3"),
        event("offer_sent", now, client="c-3"),
        event("contract_signed", now, amount=1000.10, client="c-4"),
        event("contract_signed", now, amount=0.2, client="c-4"),
        event("payment_received", now, amount=500, client="c-5"),
        event("payment_received", now, amount=0, client="c-5"),
    )
    add_decision("m-1", "allow", "2026-11-24T09:00:00+00:00")
    add_decision("m-1", "allow", "2026-11-24T09:00:00+00:00")
    add_decision("m-1", "deny", "2026-11-24T09:00:00+00:00")
    add_decision("m-2", "require_approval", "2026-11-24T09:00:00+00:00")
    got = {name: column[0] for name, column in values(session, [WEEK]).items()}
    assert got == {
        "calls": 4,
        "calls_connected": 2,
        "meetings": 1,
        "offers_sent": 2,
        "contracts_signed": 2,
        "deals_amount": Decimal("1000.30"),
        "payments_amount": Decimal("500.00"),
        "clients_served": 5,
        "decisions": 4,
        "decisions_allowed": 2,
        "decisions_denied": 1,
        "decisions_require_approval": 1,
    }


def test_empty_periods_are_zero(backend, session) -> None:
    got = values(session, [LAST_WEEK, WEEK])
    assert got["calls"] == [0, 0]
    assert got["deals_amount"] == [Decimal("0.00"), Decimal("0.00")]


def test_manager_filter_uses_manager_id_and_actor_id(
    backend, session, add_events, add_decision, event
) -> None:
    now = "2026-11-24T12:00:00+03:00"
    add_events(
        event("call", now, manager="m-1", client="c-1"),
        event("call", now, manager="m-2", client="c-1"),
        event("contract_signed", now, manager="m-2", amount=10, client="c-2"),
    )
    add_decision("m-1", "deny", "2026-11-24T09:00:00+00:00")
    add_decision("m-2", "allow", "2026-11-24T09:00:00+00:00")
    mine = values(session, [WEEK], manager="m-1")
    assert (mine["calls"], mine["clients_served"], mine["deals_amount"]) == (
        [1], [1], [Decimal("0.00")]
    )
    assert (mine["decisions"], mine["decisions_denied"], mine["decisions_allowed"]) == (
        [1], [1], [0]
    )
    everyone = values(session, [WEEK])
    assert (everyone["calls"], everyone["clients_served"], everyone["decisions"]) == (
        [2], [2], [2]
    )
    assert values(session, [WEEK], manager="nobody")["calls"] == [0]


def test_a_team_read_at_once_is_each_managers_own_comparison(
    backend, session, add_events, add_decision, event
) -> None:
    for manager, when in (("m-1", "2026-11-24T12:00:00+03:00"),
                          ("m-1", "2026-11-17T12:00:00+03:00"),
                          ("m-2", "2026-11-25T12:00:00+03:00")):
        add_events(event("call", when, manager=manager, client="c-1", outcome="connected"),
                   event("contract_signed", when, manager=manager, client="c-2", amount=12.5),
                   event("meeting", when, manager=manager, client="c-3"))
    add_decision("m-1", "deny", "2026-11-24T09:00:00+00:00")
    add_decision("m-1", "allow", "2026-11-17T09:00:00+00:00")
    add_decision("m-2", "require_approval", "2026-11-25T09:00:00+00:00")
    add_decision("m-3", "allow", "2026-11-25T09:00:00+00:00")  # not asked about
    at = D("2026-11-25")
    team = team_comparison(session, "week", at, MOSCOW, ["m-1", "m-2", "quiet"])
    assert list(team) == ["m-1", "m-2", "quiet"]
    for manager in ("m-1", "m-2", "quiet"):
        assert team[manager] == comparison(session, "week", at, MOSCOW, manager)["metrics"]
    assert team["m-1"]["decisions"]["current"] == 1
    assert team["m-1"]["decisions"]["previous"] == 1
    assert team["m-2"]["deals_amount"]["current"] == Decimal("12.50")
    assert team["quiet"]["clients_served"]["current"] == 0


def test_clients_served_counts_each_client_once_per_period(
    backend, session, add_events, event
) -> None:
    add_events(
        event("call", "2026-11-17T10:00:00+03:00", client="c-1"),
        event("meeting", "2026-11-24T10:00:00+03:00", client="c-1"),
        event("offer_sent", "2026-11-25T10:00:00+03:00", client="c-1"),
        event("payment_received", "2026-11-26T10:00:00+03:00", client="c-2", amount=1),
    )
    assert values(session, [LAST_WEEK, WEEK])["clients_served"] == [1, 2]


def test_moscow_monday_0130_is_in_mondays_week(backend, session, add_events, event) -> None:
    add_events(
        # Monday 23 Nov 01:30 Moscow = Sunday 22 Nov 22:30 UTC: this week.
        event("call", "2026-11-22T22:30:00+00:00"),
        # Sunday 22 Nov 23:59:59 Moscow: last week.
        event("meeting", "2026-11-22T20:59:59+00:00"),
        # Exactly Monday 00:00 Moscow: this week (edges are start-inclusive).
        event("offer_sent", "2026-11-23T00:00:00+03:00"),
        # Exactly the next Monday 00:00: the week after.
        event("offer_sent", "2026-11-30T00:00:00+03:00"),
    )
    got = values(session, [LAST_WEEK, WEEK])
    assert got["calls"] == [0, 1]
    assert got["meetings"] == [1, 0]
    assert got["offers_sent"] == [0, 1]


def test_berlin_week_of_the_autumn_change(backend, session, add_events, event) -> None:
    week = period_containing("week", D("2026-10-25"))  # Mon 19 - Sun 25 Oct 2026
    following = week.next()
    add_events(
        event("call", "2026-10-19T00:00:00+02:00"),  # first instant of the week (CEST)
        event("call", "2026-10-25T02:30:00+02:00"),  # the first 02:30 (CEST)
        event("call", "2026-10-25T02:30:00+01:00"),  # the second 02:30 (CET)
        event("call", "2026-10-25T23:59:59+01:00"),  # last second of Sunday (CET)
        event("meeting", "2026-10-26T00:00:00+01:00"),  # Monday: next week
        event("meeting", "2026-10-18T23:59:59+02:00"),  # Sunday before: previous week
    )
    got = values(session, [week.previous(), week, following], zone=BERLIN)
    assert got["calls"] == [0, 4, 0]
    assert got["meetings"] == [1, 0, 1]
    # Moscow is an hour or two ahead: the same instants fall into other weeks there.
    moscow = values(session, [week.previous(), week, following], zone=MOSCOW)
    assert moscow["calls"] == [0, 3, 1]
    assert moscow["meetings"] == [0, 1, 1]


def test_berlin_day_of_25_hours(backend, session, add_events, event) -> None:
    day = period_containing("day", D("2026-10-25"))
    add_events(
        event("call", "2026-10-24T22:00:00+00:00"),  # 00:00 CEST on the 25th
        event("call", "2026-10-25T22:59:59+00:00"),  # 23:59:59 CET on the 25th
        event("meeting", "2026-10-25T23:00:00+00:00"),  # 00:00 on the 26th
    )
    got = values(session, [day, day.next()], zone=BERLIN)
    assert got["calls"] == [2, 0]
    assert got["meetings"] == [0, 1]


def test_month_and_quarter_edges(backend, session, add_events, event) -> None:
    add_events(
        event("call", "2026-09-30T23:59:59+03:00"),  # Q3, September
        event("call", "2026-10-01T00:00:00+03:00"),  # Q4, October
        event("call", "2026-09-30T21:30:00+00:00"),  # 1 Oct 00:30 Moscow: Q4
    )
    months = periods_ending_at("month", D("2026-10-15"), 2)
    assert values(session, months)["calls"] == [1, 2]
    quarters = periods_ending_at("quarter", D("2026-10-15"), 2)
    assert values(session, quarters)["calls"] == [1, 2]


def test_decisions_are_placed_by_decided_at_not_as_of(backend, session, add_decision) -> None:
    # Decided this week about a business date of last week: counts this week.
    add_decision("m-1", "allow", "2026-11-23T00:30:00+03:00", as_of="2026-11-16")
    # Decided last Sunday 23:30 Moscow (20:30 UTC) about this week: counts last week.
    add_decision("m-1", "deny", "2026-11-22T20:30:00+00:00", as_of="2026-11-25")
    got = values(session, [LAST_WEEK, WEEK], names=["decisions_allowed", "decisions_denied"])
    assert got == {"decisions_allowed": [0, 1], "decisions_denied": [1, 0]}


def test_money_is_exact_to_the_kopeck(backend, session, add_events, event) -> None:
    now = "2026-11-24T12:00:00+03:00"
    # 0.1 + 0.2 as doubles is 0.30000000000000004; many of them drift further.
    add_events(*[event("payment_received", now, amount=0.1) for _ in range(700)])
    add_events(*[event("payment_received", now, amount=0.2) for _ in range(700)])
    add_events(event("contract_signed", now, amount=999_999_999_999.99))
    add_events(event("contract_signed", now, amount=0.01))
    got = values(session, [WEEK], names=["payments_amount", "deals_amount"])
    assert got["payments_amount"] == [Decimal("210.00")]
    assert got["deals_amount"] == [Decimal("1000000000000.00")]


def test_series_is_oldest_first_with_gaps(backend, session, add_events, event) -> None:
    add_events(
        event("contract_signed", "2026-11-02T10:00:00+03:00", amount=100),
        event("contract_signed", "2026-11-25T10:00:00+03:00", amount=300),
        event("contract_signed", "2026-11-26T10:00:00+03:00", amount=0.5),
    )
    answer = series(session, "deals_amount", "week", D("2026-11-25"), 5, MOSCOW)
    assert answer["metric"] == "deals_amount" and answer["period"] == "week"
    assert [(p["start"], p["end"], p["value"]) for p in answer["points"]] == [
        ("2026-10-26", "2026-11-01", Decimal("0.00")),
        ("2026-11-02", "2026-11-08", Decimal("100.00")),
        ("2026-11-09", "2026-11-15", Decimal("0.00")),
        ("2026-11-16", "2026-11-22", Decimal("0.00")),
        ("2026-11-23", "2026-11-29", Decimal("300.50")),
    ]


def test_a_long_series_places_every_row_in_its_own_period(
    backend, session, add_events, event
) -> None:
    # One call on the Monday of each of 104 weeks, i + 1 calls in week i: the binary
    # CASE must put each row in exactly its own bucket.
    periods = periods_ending_at("week", D("2026-11-25"), 104)
    events = []
    for index, period in enumerate(periods):
        day = period.start.isoformat()
        events += [event("call", f"{day}T00:00:00+03:00") for _ in range(index + 1)]
    add_events(*events)
    got = values(session, periods, names=["calls"])["calls"]
    assert got == list(range(1, 105))


def test_comparison_answer(backend, session, add_events, event) -> None:
    add_events(
        event("call", "2026-11-17T10:00:00+03:00"),
        event("call", "2026-11-24T10:00:00+03:00"),
        event("call", "2026-11-25T10:00:00+03:00"),
    )
    answer = comparison(session, "week", D("2026-11-27"), MOSCOW)
    assert answer["period"] == "week"
    assert answer["current"] == {"start": "2026-11-23", "end": "2026-11-29"}
    assert answer["previous"] == {"start": "2026-11-16", "end": "2026-11-22"}
    assert answer["manager_id"] is None
    assert list(answer["metrics"]) == list(METRIC_NAMES)
    assert answer["metrics"]["calls"] == {
        "current": 2, "previous": 1, "change": 1, "change_pct": Decimal("100.0"), "trend": "up"
    }
