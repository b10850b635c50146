"""Calendar periods in the configured time zone: day, ISO week, month, quarter.

A period is a run of whole local days, `start` to `end` inclusive, as a sales book
counts them. Events are stored in UTC, so each period also knows the UTC instants
of its edges: local midnight of `start` (inclusive) to local midnight of the day
after `end` (exclusive). Computing the edges through the zone, day by day, keeps
periods right across daylight-saving changes (a Berlin week in late October lasts
169 hours, not 168).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

PERIODS = ("day", "week", "month", "quarter")
DEFAULT_PERIOD = "week"

# Periods are computed as far back as 104 quarters from `at`; these bounds keep every
# date and UTC instant inside what `datetime` can hold, so no input can overflow.
MIN_DATE = dt.date(1900, 1, 1)
MAX_DATE = dt.date(9998, 12, 31)


@dataclass(frozen=True)
class Period:
    kind: str
    start: dt.date  # first local day
    end: dt.date  # last local day, inclusive

    def previous(self) -> Period:
        return period_containing(self.kind, self.start - dt.timedelta(days=1))

    def next(self) -> Period:
        return period_containing(self.kind, self.end + dt.timedelta(days=1))

    def utc_start(self, zone: ZoneInfo) -> dt.datetime:
        return local_midnight_utc(self.start, zone)

    def utc_end(self, zone: ZoneInfo) -> dt.datetime:
        """The first instant after the period (exclusive edge)."""
        return local_midnight_utc(self.end + dt.timedelta(days=1), zone)

    def as_dict(self) -> dict[str, str]:
        return {"start": self.start.isoformat(), "end": self.end.isoformat()}


def local_midnight_utc(day: dt.date, zone: ZoneInfo) -> dt.datetime:
    """The UTC instant at which `day` begins in `zone`.

    Where a zone skips midnight itself (a DST jump at 00:00), zoneinfo reads the
    missing wall time with the offset in force before the jump, which lands on the
    first instant that exists on that day: the day still starts where the previous
    one ended.
    """
    return dt.datetime.combine(day, dt.time(0), tzinfo=zone).astimezone(dt.UTC)


def period_containing(kind: str, day: dt.date) -> Period:
    if kind == "day":
        return Period(kind, day, day)
    if kind == "week":
        start = day - dt.timedelta(days=day.weekday())  # ISO: Monday first
        return Period(kind, start, start + dt.timedelta(days=6))
    if kind == "month":
        start = day.replace(day=1)
        return Period(kind, start, _first_of_next_month(start) - dt.timedelta(days=1))
    if kind == "quarter":
        start = dt.date(day.year, 3 * ((day.month - 1) // 3) + 1, 1)
        end = _first_of_next_month(_first_of_next_month(_first_of_next_month(start)))
        return Period(kind, start, end - dt.timedelta(days=1))
    raise ValueError(f"unknown period {kind!r}; one of {', '.join(PERIODS)}")


def periods_ending_at(kind: str, day: dt.date, count: int) -> list[Period]:
    """`count` consecutive periods, oldest first, the last one containing `day`."""
    if count < 1:
        raise ValueError("count must be at least 1")
    periods = [period_containing(kind, day)]
    while len(periods) < count:
        periods.append(periods[-1].previous())
    periods.reverse()
    return periods


def today(zone: ZoneInfo) -> dt.date:
    return dt.datetime.now(zone).date()


def _first_of_next_month(first: dt.date) -> dt.date:
    if first.month == 12:
        return dt.date(first.year + 1, 1, 1)
    return dt.date(first.year, first.month + 1, 1)
