"""Small server-side SVG charts for the review pack, its PDF and the reports: bars labelled with their values,
a cumulative line marked with its percentages, hatched fills so nothing depends on colour. Presentation
attributes only (no <style>, no <script>), so an inline chart passes the strict CSP and WeasyPrint draws it."""

from __future__ import annotations

from collections.abc import Sequence

from django.utils.html import escape
from django.utils.safestring import SafeString, mark_safe

WIDTH, HEIGHT, LEFT, BOTTOM, TOP = 640, 240, 36, 56, 24

_PATTERN = (
    '<defs><pattern id="{id}" width="6" height="6" patternUnits="userSpaceOnUse" patternTransform="rotate(45)">'
    '<rect width="6" height="6" fill="#dfe3fb"/><line x1="0" y1="0" x2="0" y2="6" stroke="#3641c4" stroke-width="2"/>'
    "</pattern></defs>"
)


def bar_chart(
    labels: Sequence[str], values: Sequence[float], *, title: str, chart_id: str,
    cumulative: Sequence[float] | None = None, unit: str = "",
) -> SafeString:
    """Vertical bars with each value printed above its bar and each label below; `cumulative` (percentages)
    draws a line with its points labelled, as a Pareto chart does."""
    n = max(len(values), 1)
    top = max([*values, 1])
    plot_w, plot_h = WIDTH - LEFT - 8, HEIGHT - BOTTOM - TOP
    slot = plot_w / n
    bar_w = max(min(slot * 0.6, 60), 2)
    parts = [
        f'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 {WIDTH} {HEIGHT}" width="100%" role="img" '
        f'aria-labelledby="{chart_id}-t" class="chart" font-family="sans-serif" font-size="11">',
        f'<title id="{chart_id}-t">{escape(title)}</title>',
        _PATTERN.format(id=f"{chart_id}-hatch"),
        f'<line x1="{LEFT}" y1="{TOP + plot_h}" x2="{WIDTH - 8}" y2="{TOP + plot_h}" stroke="#555"/>',
    ]
    points = []
    for i, (label, value) in enumerate(zip(labels, values, strict=True)):
        x = LEFT + slot * i + (slot - bar_w) / 2
        h = plot_h * value / top
        y = TOP + plot_h - h
        shown = f"{value:g}{unit}"
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{bar_w:.1f}" height="{h:.1f}" '
                     f'fill="url(#{chart_id}-hatch)" stroke="#3641c4"><title>{escape(label)}: {shown}</title></rect>')
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{y - 4:.1f}" text-anchor="middle">{shown}</text>')
        short = label if len(label) <= 14 else label[:13] + "…"
        parts.append(f'<text x="{x + bar_w / 2:.1f}" y="{TOP + plot_h + 14}" text-anchor="end" '
                     f'transform="rotate(-30 {x + bar_w / 2:.1f} {TOP + plot_h + 14})">{escape(short)}</text>')
        if cumulative is not None:
            points.append((x + bar_w / 2, TOP + plot_h - plot_h * cumulative[i] / 100, cumulative[i]))
    if points:
        path = " ".join(f"{x:.1f},{y:.1f}" for x, y, _ in points)
        parts.append(f'<polyline points="{path}" fill="none" stroke="#222" stroke-width="2" stroke-dasharray="5 3"/>')
        for x, y, pct in points:
            parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="#222"/>')
            parts.append(f'<text x="{x + 5:.1f}" y="{y - 5:.1f}" font-weight="bold">{pct:.0f}%</text>')
    parts.append("</svg>")
    return mark_safe("".join(parts))  # noqa: S308 - every label is escaped above; the rest are numbers
