"""Calendar periods in a zone: ISO weeks, months, quarters, and their UTC edges."""

from __future__ import annotations

import datetime as dt
from zoneinfo import ZoneInfo

import pytest

from app.stats.periods import Period, local_midnight_utc, period_containing, periods_ending_at

MOSCOW = ZoneInfo("Europe/Moscow")
BERLIN = ZoneInfo("Europe/Berlin")
D = dt.date.fromisoformat


def utc(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(dt.UTC)


@pytest.mark.parametrize(
    ("kind", "day", "start", "end"),
    [
        ("day", "2026-11-27", "2026-11-27", "2026-11-27"),
        ("week", "2026-11-23", "2026-11-23", "2026-11-29"),  # Monday
        ("week", "2026-11-29", "2026-11-23", "2026-11-29"),  # Sunday
        ("week", "2026-01-01", "2025-12-29", "2026-01-04"),  # ISO week 1 of 2026
        ("month", "2024-02-15", "2024-02-01", "2024-02-29"),  # leap year
        ("month", "2026-12-31", "2026-12-01", "2026-12-31"),
        ("quarter", "2026-11-27", "2026-10-01", "2026-12-31"),
        ("quarter", "2026-01-01", "2026-01-01", "2026-03-31"),
        ("quarter", "2026-06-30", "2026-04-01", "2026-06-30"),
    ],
)
def test_period_containing(kind: str, day: str, start: str, end: str) -> None:
    assert period_containing(kind, D(day)) == Period(kind, D(start), D(end))


@pytest.mark.parametrize(
    ("kind", "day", "previous_start", "previous_end"),
    [
        ("day", "2026-03-01", "2026-02-28", "2026-02-28"),
        ("week", "2026-01-01", "2025-12-22", "2025-12-28"),
        ("month", "2026-03-31", "2026-02-01", "2026-02-28"),
        ("month", "2026-01-15", "2025-12-01", "2025-12-31"),
        ("quarter", "2026-02-10", "2025-10-01", "2025-12-31"),
    ],
)
def test_previous_period_is_the_one_just_before(
    kind: str, day: str, previous_start: str, previous_end: str
) -> None:
    previous = period_containing(kind, D(day)).previous()
    assert (previous.start, previous.end) == (D(previous_start), D(previous_end))


def test_moscow_monday_starts_on_sunday_evening_utc() -> None:
    week = period_containing("week", D("2026-11-25"))
    assert week.utc_start(MOSCOW) == utc("2026-11-22T21:00:00+00:00")
    assert week.utc_end(MOSCOW) == utc("2026-11-29T21:00:00+00:00")
    # 01:30 on Monday in Moscow is still Sunday in UTC, and inside Monday's week.
    monday_0130 = utc("2026-11-23T01:30:00+03:00")
    assert monday_0130.weekday() == 6
    assert week.utc_start(MOSCOW) <= monday_0130 < week.utc_end(MOSCOW)


def test_berlin_week_with_the_autumn_change_lasts_169_hours() -> None:
    # 2026-10-25 is the last Sunday of October: clocks go back from 03:00 CEST to 02:00 CET.
    week = period_containing("week", D("2026-10-25"))
    assert (week.start, week.end) == (D("2026-10-19"), D("2026-10-25"))
    assert week.utc_start(BERLIN) == utc("2026-10-18T22:00:00+00:00")  # 00:00 CEST
    assert week.utc_end(BERLIN) == utc("2026-10-25T23:00:00+00:00")  # 00:00 CET
    assert week.utc_end(BERLIN) - week.utc_start(BERLIN) == dt.timedelta(hours=169)
    day = period_containing("day", D("2026-10-25"))
    assert day.utc_end(BERLIN) - day.utc_start(BERLIN) == dt.timedelta(hours=25)


def test_berlin_spring_day_lasts_23_hours() -> None:
    day = period_containing("day", D("2026-03-29"))
    assert day.utc_end(BERLIN) - day.utc_start(BERLIN) == dt.timedelta(hours=23)


def test_a_zone_that_skips_midnight_still_gets_contiguous_days() -> None:
    # Santiago moves its clocks at 00:00: on 2026-09-06 local midnight does not exist.
    zone = ZoneInfo("America/Santiago")
    days = periods_ending_at("day", D("2026-09-07"), 3)
    edges = [(p.utc_start(zone), p.utc_end(zone)) for p in days]
    for (_, end), (start, _) in zip(edges, edges[1:], strict=False):
        assert end == start
    assert local_midnight_utc(D("2026-09-06"), zone) < local_midnight_utc(D("2026-09-07"), zone)


def test_periods_ending_at_are_consecutive_oldest_first() -> None:
    periods = periods_ending_at("month", D("2026-03-10"), 4)
    assert [p.start for p in periods] == [
        D("2025-12-01"), D("2026-01-01"), D("2026-02-01"), D("2026-03-01")
    ]
    for earlier, later in zip(periods, periods[1:], strict=False):
        assert earlier.end + dt.timedelta(days=1) == later.start
        assert earlier.next() == later


def test_104_quarters_back_from_the_earliest_allowed_date_do_not_overflow() -> None:
    periods = periods_ending_at("quarter", D("1900-01-01"), 104)
    assert periods[0].start == D("1874-04-01")  # 103 quarters before 1900 Q1
    assert periods[-1].utc_end(MOSCOW).year == 1900
    assert period_containing("quarter", D("9998-12-31")).utc_end(MOSCOW).year == 9998


def test_unknown_period_is_refused() -> None:
    with pytest.raises(ValueError):
        period_containing("year", D("2026-01-01"))
    with pytest.raises(ValueError):
        periods_ending_at("week", D("2026-01-01"), 0)
