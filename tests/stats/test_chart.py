"""The SVG chart: well-formed, escaped, dated axes, grouped thousands, current period marked."""

from __future__ import annotations

import datetime as dt
import xml.etree.ElementTree as ET
from decimal import Decimal

from app.stats.chart import render_chart
from app.stats.periods import periods_ending_at

SVG = "{http://www.w3.org/2000/svg}"
NBSP = "\u00a0"


def data(values, metric="deals_amount", period="week", at="2026-11-25", manager=None) -> dict:
    periods = periods_ending_at(period, dt.date.fromisoformat(at), len(values))
    return {
        "metric": metric, "period": period, "manager_id": manager,
        "points": [{**p.as_dict(), "value": v} for p, v in zip(periods, values, strict=True)],
    }


def texts(svg: str) -> list[str]:
    root = ET.fromstring(svg)
    return [element.text or "" for element in root.iter(f"{SVG}text")]


def test_well_formed_with_title_axes_and_grouped_values() -> None:
    values = [Decimal("1000000.00"), Decimal("2500000.50"), Decimal("1234567.89")]
    svg = render_chart(data(values), dt.date(2026, 11, 25), "Europe/Moscow")
    labels = texts(svg)
    assert labels[0] == "Deals signed, RUB, per week"
    assert "All managers · 3 weeks to 23 Nov – 29 Nov 2026 · Europe/Moscow" in labels
    assert f"3{NBSP}000{NBSP}000" in labels  # the top of the value axis
    assert f"1{NBSP}234{NBSP}567.89" in labels  # the current value, marked
    assert ["9 Nov", "16 Nov", "23 Nov"] == [t for t in labels if t.endswith(" Nov")]
    assert "2026" in labels  # the year under the first date
    assert any(t.startswith("current (so far), -50.6% on the previous") for t in labels)


def test_current_period_is_marked_and_dashed_while_running() -> None:
    running = render_chart(data([1, 2, 3], "calls"), dt.date(2026, 11, 25), "UTC")
    assert 'stroke-dasharray="6 4"' in running
    assert 'fill-opacity="0.08"' in running  # the shaded current slot
    over = render_chart(data([1, 2, 3], "calls"), dt.date(2026, 12, 1), "UTC")
    assert "stroke-dasharray" not in over
    assert "current, +50.0% on the previous" in texts(over)


def test_text_is_escaped() -> None:
    evil = '<script>alert("x")</script> & "quotes"'
    svg = render_chart(data([1, 2], "calls", manager=evil), dt.date(2026, 11, 25), "<zone>")
    assert "<script" not in svg
    root = ET.fromstring(svg)  # parses: every text was escaped
    assert any(evil in (t.text or "") for t in root.iter(f"{SVG}text"))


def test_long_series_labels_at_most_13_dates_and_always_the_current() -> None:
    svg = render_chart(data(list(range(52)), "calls"), dt.date(2026, 11, 25), "UTC")
    dates = [t for t in texts(svg) if t[:1].isdigit() and not t.isdigit() and "%" not in t]
    dates = [t for t in dates if NBSP not in t and " " in t and len(t) <= 6]
    assert 2 <= len(dates) <= 13
    assert dates[-1] == "23 Nov"


def test_all_zero_single_point_and_fraction_free_counts() -> None:
    svg = render_chart(data([0], "clients_served"), dt.date(2026, 11, 25), "UTC")
    labels = texts(svg)
    assert "0" in labels and "4" in labels and "2.5" not in labels
    assert "Clients served, per week" in labels


def test_month_and_quarter_labels() -> None:
    months = texts(render_chart(data([1, 2, 3], "calls", "month"), dt.date(2027, 1, 1), "UTC"))
    assert ["Sep 2026", "Oct 2026", "Nov 2026"] == [t for t in months if t.endswith("2026")
                                                   and t[:3].isalpha()]
    quarters = texts(render_chart(data([1, 2], "calls", "quarter"), dt.date(2027, 1, 1), "UTC"))
    assert "Q3 2026" in quarters and "Q4 2026" in quarters


def test_long_values_and_ids_fit() -> None:
    big = [Decimal("999999999999.99"), Decimal("1000000000000")]
    svg = render_chart(data(big, manager="m" * 128), dt.date(2026, 11, 25), "UTC")
    root = ET.fromstring(svg)
    top_label = next(t for t in root.iter(f"{SVG}text") if t.text == f"1{NBSP}000{NBSP}000"
                     f"{NBSP}000{NBSP}000")
    # Right-aligned at the axis, which moved right far enough for the whole label.
    assert float(top_label.get("x")) >= len(top_label.text) * 7
    assert "m" * 39 + "…" in svg and "m" * 41 not in svg
