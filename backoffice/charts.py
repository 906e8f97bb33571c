"""Charts as inline SVG, drawn on the server: no script, no stylesheet, no CDN.

Only presentation attributes are used (the page's CSP allows no inline styles). A chart
is drawn from a report's ``Chart``: one column names the bars or points, another gives
their height; the table under it on the page holds the same numbers, worded alike in the
page's locale (``backoffice.report_words.cell``).
"""

from __future__ import annotations

from collections.abc import Sequence
from decimal import Decimal
from html import escape
from itertools import pairwise

from markupsafe import Markup

from backoffice.i18n import Words
from backoffice.report_words import cell
from services.reports import FORECAST as FORECAST_MARK
from services.reports import PARTIAL as PARTIAL_MARK
from services.reports import TOTAL, Report

WIDTH, HEIGHT = 720, 260
LEFT, RIGHT, TOP, BOTTOM = 56, 16, 16, 56
INK, MUTED, BAR, FORECAST, GRID = "#1d2330", "#5b6474", "#1f6feb", "#b54708", "#d9dee7"


def chart_for(report: Report, title: str, words: Words) -> Markup | None:
    """The report's chart as SVG markup, or None when it has none or nothing to draw.

    Labels and figures are shown in the viewer's words and formats; a total row is in the
    table, not the chart (a bar of the sum would dwarf its parts)."""
    chart = report.chart
    if chart is None or not report.rows:
        return None
    column = next(c for c in report.columns if c.key == chart.label)
    names = report.values(chart.label)
    drawn = [n for n, name in enumerate(names) if name != TOTAL]
    labels = [cell(column, names[n], words) for n in drawn]
    measure = next(c for c in report.columns if c.key == chart.value)
    heights = report.values(chart.value)
    marks = report.values(chart.marker) if chart.marker else [""] * len(names)
    # a month not over yet is in the table, not on the chart (its rate is not the month's)
    values = [None if marks[n] == PARTIAL_MARK else _number(heights[n]) for n in drawn]
    if all(v is None for v in values):
        return None
    shown = [cell(measure, heights[n], words) for n in drawn]
    forecast = [marks[n] == FORECAST_MARK for n in drawn]
    top = words.number(_scale(values)[1])
    if chart.kind == "line":
        return line_chart(labels, values, forecast, title, shown=shown, top=top)
    return bar_chart(labels, values, title, shown=shown, top=top)


def _number(value: object) -> Decimal | None:
    return None if value is None else Decimal(str(value))


def _scale(values: Sequence[Decimal | None]) -> tuple[Decimal, Decimal]:
    known = [v for v in values if v is not None]
    low, high = min([Decimal(0), *known]), max([Decimal(0), *known])
    return low, (high if high > low else low + 1)


def _y(value: Decimal, low: Decimal, high: Decimal) -> float:
    plot = HEIGHT - TOP - BOTTOM
    return float(TOP + plot - (value - low) / (high - low) * plot)


def _frame(title: str, low: Decimal, high: Decimal, body: list[str], top: str = "") -> Markup:
    zero = _y(Decimal(0), low, high)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}"'
        f' width="100%" role="img" aria-label="{escape(title)}" class="chart">',
        f"<title>{escape(title)}</title>",
        f'<line x1="{LEFT}" y1="{zero:.1f}" x2="{WIDTH - RIGHT}" y2="{zero:.1f}" stroke="{GRID}"/>',
        f'<text x="{LEFT - 6}" y="{TOP + 4}" text-anchor="end" font-size="11"'
        f' fill="{MUTED}">{escape(top or str(high))}</text>',
        f'<text x="{LEFT - 6}" y="{zero + 4:.1f}" text-anchor="end" font-size="11"'
        f' fill="{MUTED}">0</text>',
        *body,
        "</svg>",
    ]
    return Markup("".join(parts))


def _label(x: float, text: str) -> str:
    y = HEIGHT - BOTTOM + 14
    return (
        f'<text x="{x:.1f}" y="{y}" text-anchor="end" font-size="11" fill="{INK}"'
        f' transform="rotate(-35 {x:.1f} {y})">{escape(text[:18])}</text>'
    )


def bar_chart(
    labels: Sequence[str],
    values: Sequence[Decimal | None],
    title: str,
    *,
    shown: Sequence[str] = (),
    top: str = "",
) -> Markup:
    """One bar per label (none for a missing value), from zero, negatives downwards; ``shown``
    words each value in its tooltip, ``top`` the scale's top (else they are printed plain)."""
    low, high = _scale(values)
    shown = shown or [str(v) for v in values]
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    zero = _y(Decimal(0), low, high)
    body = []
    for n, (label, value, text) in enumerate(zip(labels, values, shown, strict=True)):
        x = LEFT + n * step
        if value is not None:
            y = _y(value, low, high)
            body.append(
                f'<rect x="{x + step * 0.15:.1f}" y="{min(y, zero):.1f}"'
                f' width="{step * 0.7:.1f}" height="{abs(zero - y):.1f}" fill="{BAR}">'
                f"<title>{escape(label)}: {escape(text)}</title></rect>"
            )
        body.append(_label(x + step / 2, label))
    return _frame(title, low, high, body, top)


def line_chart(
    labels: Sequence[str],
    values: Sequence[Decimal | None],
    forecast: Sequence[bool],
    title: str,
    *,
    shown: Sequence[str] = (),
    top: str = "",
) -> Markup:
    """Points joined by a line; forecast points dashed and in another colour."""
    low, high = _scale(values)
    shown = shown or [str(v) for v in values]
    step = (WIDTH - LEFT - RIGHT) / max(len(labels), 1)
    points = [
        (LEFT + (n + 0.5) * step, _y(v, low, high), f, label, text)
        for n, (label, v, f, text) in enumerate(zip(labels, values, forecast, shown, strict=True))
        if v is not None
    ]
    body = [_label(LEFT + (n + 0.5) * step, label) for n, label in enumerate(labels)]
    for (x1, y1, _f1, _l1, _v1), (x2, y2, f2, _l2, _v2) in pairwise(points):
        dash = ' stroke-dasharray="5 4"' if f2 else ""
        colour = FORECAST if f2 else BAR
        body.append(
            f'<line x1="{x1:.1f}" y1="{y1:.1f}" x2="{x2:.1f}" y2="{y2:.1f}"'
            f' stroke="{colour}" stroke-width="2"{dash}/>'
        )
    for x, y, is_forecast, label, value in points:
        body.append(
            f'<circle cx="{x:.1f}" cy="{y:.1f}" r="4" fill="{FORECAST if is_forecast else BAR}">'
            f"<title>{escape(label)}: {escape(value)}</title></circle>"
        )
    return _frame(title, low, high, body, top)
