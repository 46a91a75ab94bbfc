"""Small server-rendered SVG charts: no JavaScript, readable in both themes (they use currentColor
and the page's CSS variables), labels escaped."""

from __future__ import annotations

from dataclasses import dataclass
from html import escape

from markupsafe import Markup


@dataclass(frozen=True)
class Bar:
    label: str
    value: float
    caption: str  # what is written on the bar (count, amount…)
    title: str = ""


def funnel(bars: list[Bar], width: int = 640, row: int = 22) -> Markup:
    """Horizontal bars, widest first stage at the top, centred like a funnel."""
    if not bars:
        return Markup("")
    top = max((b.value for b in bars), default=0) or 1
    label_w = 120
    height = row * len(bars) + 4
    parts = [
        f'<svg class="chart funnel" viewBox="0 0 {width} {height}" role="img" width="100%" height="{height}">'
    ]
    span = width - label_w - 8
    for i, bar in enumerate(bars):
        y = 2 + i * row
        w = max(span * bar.value / top, 2 if bar.value else 0)
        x = label_w + (span - w) / 2
        parts.append(
            f"<g><title>{escape(bar.title or bar.label)}</title>"
            f'<text x="{label_w - 6}" y="{y + row / 2 + 4}" text-anchor="end" class="chart-label">{escape(bar.label[:18])}</text>'
            f'<rect x="{x:.1f}" y="{y}" width="{w:.1f}" height="{row - 5}" rx="3" class="chart-bar"/>'
            f'<text x="{label_w + span / 2}" y="{y + row / 2 + 3}" text-anchor="middle" class="chart-value">{escape(bar.caption)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))


def columns(bars: list[Bar], width: int = 420, height: int = 120) -> Markup:
    """Vertical bars with a label under each (the agenda's week load)."""
    if not bars:
        return Markup("")
    top = max((b.value for b in bars), default=0) or 1
    slot = width / len(bars)
    chart_h = height - 30
    parts = [
        f'<svg class="chart columns" viewBox="0 0 {width} {height}" role="img" width="100%" height="{height}">'
    ]
    for i, bar in enumerate(bars):
        h = chart_h * bar.value / top
        x = i * slot + slot * 0.2
        parts.append(
            f"<g><title>{escape(bar.title or bar.label)}</title>"
            f'<rect x="{x:.1f}" y="{chart_h - h + 12:.1f}" width="{slot * 0.6:.1f}" height="{h:.1f}" rx="3" class="chart-bar"/>'
            f'<text x="{x + slot * 0.3:.1f}" y="{chart_h - h + 8:.1f}" text-anchor="middle" class="chart-value">{escape(bar.caption)}</text>'
            f'<text x="{x + slot * 0.3:.1f}" y="{height - 4}" text-anchor="middle" class="chart-label">{escape(bar.label)}</text></g>'
        )
    parts.append("</svg>")
    return Markup("".join(parts))
