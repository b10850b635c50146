"""This period against the previous one: every trend, and when change_pct is null."""

from __future__ import annotations

from decimal import Decimal

import pytest

from app.stats.trend import compare


@pytest.mark.parametrize(
    ("current", "previous", "change", "change_pct", "trend"),
    [
        (12, 10, 2, Decimal("20.0"), "up"),
        (5, 10, -5, Decimal("-50.0"), "down"),
        (0, 4, -4, Decimal("-100.0"), "down"),  # a fall to nothing is down, not new
        (7, 7, 0, Decimal("0.0"), "flat"),
        (3, 0, 3, None, "new"),  # growth from nothing: no percentage
        (0, 0, 0, None, "flat"),  # nothing then, nothing now
        (1, 3, -2, Decimal("-66.7"), "down"),  # rounded half up to one decimal
        (2, 3, -1, Decimal("-33.3"), "down"),
    ],
)
def test_counts(current, previous, change, change_pct, trend) -> None:
    assert compare(current, previous) == {
        "current": current,
        "previous": previous,
        "change": change,
        "change_pct": change_pct,
        "trend": trend,
    }


def test_money_stays_exact() -> None:
    result = compare(Decimal("1500.50"), Decimal("1000.00"))
    assert result["change"] == Decimal("500.50")
    assert result["change_pct"] == Decimal("50.1")  # 50.05 half up, not a float's 50.0
    assert result["trend"] == "up"


def test_a_tiny_fall_is_zero_percent_not_minus_zero() -> None:
    result = compare(Decimal("999999.99"), Decimal("1000000.00"))
    assert (result["trend"], str(result["change_pct"])) == ("down", "0.0")


def test_new_money() -> None:
    result = compare(Decimal("0.01"), Decimal("0.00"))
    assert (result["trend"], result["change_pct"]) == ("new", None)
