"""One metric, this period against the previous one: change, percent, direction."""

from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal

TRENDS = ("up", "down", "flat", "new")
PERCENT_PLACES = Decimal("0.1")

Number = int | Decimal


def compare(current: Number, previous: Number) -> dict[str, object]:
    """{current, previous, change, change_pct, trend}; money stays a Decimal, which the
    API writes as an exact JSON number.

    `new` is growth from nothing (previous 0, current > 0), where a percentage has no
    meaning, so change_pct is null whenever previous is 0. A fall to 0 is `down`
    by -100%.
    """
    change = current - previous
    if previous == 0:
        change_pct = None
        trend = "new" if current > 0 else "flat"
    else:
        change_pct = (Decimal(change) * 100 / Decimal(previous)).quantize(
            PERCENT_PLACES, rounding=ROUND_HALF_UP
        )
        if change_pct == 0:
            change_pct = abs(change_pct)  # a tiny fall rounds to 0.0, not "-0.0"
        trend = "up" if change > 0 else "down" if change < 0 else "flat"
    return {
        "current": current,
        "previous": previous,
        "change": change,
        "change_pct": change_pct,
        "trend": trend,
    }
