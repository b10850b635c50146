"""A series as an SVG line chart for a weekly report: a title that says what and for
whom, dated axes, values with thousands separators, the current period marked.

Plain SVG 1.1 text, no scripts, no external fonts or images; every piece of text
is escaped, because manager ids come from the caller. Its words are English (the
API's chart); the console passes ChartWords in the reader's language.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable
from dataclasses import dataclass
from decimal import Decimal
from xml.sax.saxutils import escape, quoteattr

from app.stats.labels import format_number, period_label, span
from app.stats.metrics import METRICS, Metric
from app.stats.trend import compare

WIDTH, HEIGHT = 960, 480
MIN_LEFT, RIGHT, TOP, BOTTOM = 72, 40, 84, 72
PLOT_H = HEIGHT - TOP - BOTTOM
DIGIT_WIDTH = 7.2  # px of a 12 px label character, to make room for the longest value
MAX_ID = 40  # characters of a manager id shown in the subtitle
MAX_X_LABELS = 13
FOOTNOTES = {
    "day": "Each point is a calendar day. Shaded: the current day.",
    "week": "Each point is an ISO week (Monday to Sunday), labelled by its Monday. "
    "Shaded: the current week.",
    "month": "Each point is a calendar month. Shaded: the current month.",
    "quarter": "Each point is a calendar quarter. Shaded: the current quarter.",
}


def _title(metric: Metric, period: str) -> str:
    return f"{metric.label}, per {period}"


def _subtitle(manager_id: str | None, count: int, period: str, start: dt.date,
              end: dt.date, zone_name: str) -> str:
    who = f"Manager {shorten(manager_id)}" if manager_id else "All managers"
    return (f"{who} · {count} {period}{'s' if count > 1 else ''} to "
            f"{span(start, end)} · {zone_name}")


def _current(running: bool, change_pct: Decimal | None) -> str:
    caption = "current (so far)" if running else "current"
    if change_pct is not None:
        caption += f", {change_pct:+}% on the previous"
    return caption


@dataclass(frozen=True)
class ChartWords:
    """Every text of a chart, by what it says; English unless told otherwise."""

    title: Callable[[Metric, str], str] = _title  # (metric, period)
    # (manager id or None, number of periods, period, the last one's start and end, zone)
    subtitle: Callable[[str | None, int, str, dt.date, dt.date, str], str] = _subtitle
    axis: Callable[[str, dt.date], str] = period_label  # (period, its start)
    footnote: Callable[[str], str] = FOOTNOTES.__getitem__  # (period)
    current: Callable[[bool, Decimal | None], str] = _current  # (running, change_pct)
    number: Callable[[float | int | Decimal, int], str] = format_number  # (value, decimals)


ENGLISH = ChartWords()
FONT = "Helvetica, Arial, sans-serif"
LINE, MARK, GRID, INK, MUTED = "#1f5fa8", "#d9480f", "#e3e6ea", "#222", "#666"


def render_chart(data: dict, today: dt.date, zone_name: str,
                 words: ChartWords = ENGLISH) -> str:
    """SVG text for a /v1/stats/series answer (`data`), its texts in `words`."""
    metric = METRICS[data["metric"]]
    points = data["points"]
    values = [float(point["value"]) for point in points]
    starts = [dt.date.fromisoformat(point["start"]) for point in points]
    ends = [dt.date.fromisoformat(point["end"]) for point in points]
    step, top = _y_scale(max(values), whole=not metric.money)
    decimals = _decimals(step)
    # The value axis is as wide as its longest label: billions must not be cut off.
    left = max(MIN_LEFT, round(len(words.number(top, decimals)) * DIGIT_WIDTH) + 24)
    plot_w = WIDTH - left - RIGHT
    slot = plot_w / len(points)

    def x(index: int) -> float:
        return left + slot * (index + 0.5)

    def y(value: float) -> float:
        return TOP + PLOT_H - (value / top) * PLOT_H

    last = len(points) - 1
    in_progress = starts[last] <= today <= ends[last]
    title = words.title(metric, data["period"])
    subtitle = words.subtitle(data["manager_id"], len(points), data["period"], starts[last],
                              ends[last], zone_name)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{WIDTH}" height="{HEIGHT}" '
        f'viewBox="0 0 {WIDTH} {HEIGHT}" font-family={quoteattr(FONT)} role="img">',
        f"<title>{escape(title)}. {escape(subtitle)}</title>",
        f'<rect width="{WIDTH}" height="{HEIGHT}" fill="#fff"/>',
        _text(left, 34, title, size=20, weight="bold"),
        _text(left, 58, subtitle, size=13, fill=MUTED),
        # The current period: a shaded slot behind the line.
        f'<rect x="{x(last) - slot / 2:.1f}" y="{TOP}" width="{slot:.1f}" height="{PLOT_H}" '
        f'fill="{MARK}" fill-opacity="0.08"/>',
    ]
    parts += _y_axis(step, top, y, decimals, left, plot_w, words)
    parts += _x_axis(data["period"], starts, x, words)
    parts += _line(values, x, y, in_progress)
    raw = [point["value"] for point in points]
    marker = (x(last), y(values[last]))
    parts += _current_label(metric.money, raw, marker, in_progress, left + plot_w, words)
    parts.append(_text(left, HEIGHT - 10, words.footnote(data["period"]), size=11, fill=MUTED))
    parts.append("</svg>")
    return "\n".join(parts) + "\n"


def _y_axis(step: float, top: float, y, decimals: int, left: float, plot_w: float,
            words: ChartWords) -> list[str]:
    parts = []
    ticks = round(top / step)
    for i in range(ticks + 1):
        value = step * i
        parts.append(
            f'<line x1="{left}" x2="{left + plot_w}" y1="{y(value):.1f}" y2="{y(value):.1f}" '
            f'stroke="{GRID if i else INK}" stroke-width="1"/>'
        )
        parts.append(
            _text(left - 10, y(value) + 4, words.number(value, decimals), anchor="end", size=12)
        )
    return parts


def _x_axis(period: str, starts: list[dt.date], x, words: ChartWords) -> list[str]:
    every = max(1, math.ceil(len(starts) / MAX_X_LABELS))
    last = len(starts) - 1
    # Count back from the current period so that it always gets its label.
    shown = [i for i in range(len(starts)) if (last - i) % every == 0]
    parts = []
    previous_year = None
    for i in shown:
        base = HEIGHT - BOTTOM
        parts.append(
            f'<line x1="{x(i):.1f}" x2="{x(i):.1f}" y1="{base}" y2="{base + 5}" stroke="{INK}"/>'
        )
        label = words.axis(period, starts[i])
        weight = "bold" if i == last else None
        parts.append(_text(x(i), base + 20, label, anchor="middle", size=12, weight=weight))
        year = starts[i].year
        if period in ("day", "week") and year != previous_year:
            parts.append(_text(x(i), base + 36, str(year), anchor="middle", size=11, fill=MUTED))
        previous_year = year
    return parts


def _line(values: list[float], x, y, in_progress: bool) -> list[str]:
    coordinates = [f"{x(i):.1f},{y(v):.1f}" for i, v in enumerate(values)]
    done = coordinates[:-1] if in_progress else coordinates
    parts = []
    if len(done) > 1:
        parts.append(
            f'<polyline points="{" ".join(done)}" fill="none" stroke="{LINE}" '
            'stroke-width="2.5" stroke-linejoin="round"/>'
        )
    if in_progress and len(coordinates) > 1:
        # The period is not over yet: a dashed last segment says "so far".
        parts.append(
            f'<polyline points="{coordinates[-2]} {coordinates[-1]}" fill="none" '
            f'stroke="{LINE}" stroke-width="2.5" stroke-dasharray="6 4"/>'
        )
    for i, v in enumerate(values[:-1]):
        parts.append(f'<circle cx="{x(i):.1f}" cy="{y(v):.1f}" r="3" fill="{LINE}"/>')
    last = len(values) - 1
    parts.append(
        f'<circle cx="{x(last):.1f}" cy="{y(values[last]):.1f}" r="6" fill="{MARK}" '
        'stroke="#fff" stroke-width="2"/>'
    )
    return parts


def _current_label(
    money: bool, values: list, at: tuple[float, float], running: bool, right: float,
    words: ChartWords,
) -> list[str]:
    cx, cy = at
    value = words.number(values[-1], 2 if money and values[-1] % 1 else 0)
    # The same percentage as /v1/stats reports, not a float's rounding of it.
    change_pct = (compare(values[-1], values[-2])["change_pct"]
                  if len(values) > 1 and values[-2] else None)
    caption = words.current(running, change_pct)
    anchor = "end" if cx > right - 200 else "middle"
    dx = -10 if anchor == "end" else 0
    ty = max(cy - 14, TOP + 14)
    return [
        _text(cx + dx, ty, value, anchor=anchor, size=14, weight="bold", fill=MARK),
        _text(cx + dx, ty - 17, caption, anchor=anchor, size=11, fill=MARK),
    ]


def _text(x: float, y: float, text: str, *, anchor: str = "start", size: int = 12,
          weight: str | None = None, fill: str = INK) -> str:
    bold = f' font-weight="{weight}"' if weight else ""
    return (
        f'<text x="{x:.1f}" y="{y:.1f}" font-size="{size}" text-anchor="{anchor}" '
        f'fill="{fill}"{bold}>{escape(text)}</text>'
    )


def shorten(text: str) -> str:
    """A manager id cut to MAX_ID characters, for the subtitle."""
    return text if len(text) <= MAX_ID else text[: MAX_ID - 1] + "…"


def _y_scale(maximum: float, whole: bool) -> tuple[float, float]:
    """A round step (1, 2, 2.5 or 5 times a power of ten) and the top of the axis."""
    if maximum <= 0:
        return 1.0, 4.0
    rough = maximum / 4
    magnitude = 10 ** math.floor(math.log10(rough))
    # Whole counts never get a 2.5 or fractional step: ticks at 0, 2.5, 5 make no sense.
    multiples = (1, 2, 5, 10) if whole and magnitude <= 1 else (1, 2, 2.5, 5, 10)
    step = next(m * magnitude for m in multiples if m * magnitude >= rough)
    if whole:
        step = max(1.0, step)
    return step, math.ceil(maximum / step) * step


def _decimals(step: float) -> int:
    for decimals in range(0, 3):
        if abs(step * 10**decimals - round(step * 10**decimals)) < 1e-9:
            return decimals
    return 2
