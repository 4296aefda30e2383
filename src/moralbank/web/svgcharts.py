"""Charts as server-side inline SVG (no JavaScript chart library, no CDN): a radar of the four aspects
and a line of the score over time. Pure functions returning markup; labels are escaped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from html import escape
from unicodedata import east_asian_width


def _text_width(text: str, font_size: float) -> float:
    """A generous estimate of how wide ``text`` is drawn in a sans-serif font: an ideograph or other
    full-width character takes an em, any other character at most about 0.62 em (wide lowercase, digits)."""
    return sum(font_size * (1.0 if east_asian_width(ch) in "WF" else 0.62) for ch in text)


def _wrap(text: str, width: float, font_size: float) -> list[str]:
    """``text`` broken at spaces into lines no wider than ``width`` where a break can do it."""
    lines: list[str] = []
    for word in text.split():
        if lines and _text_width(f"{lines[-1]} {word}", font_size) <= width:
            lines[-1] += f" {word}"
        else:
            lines.append(word)
    return lines


def radar(
    labels: Sequence[str],
    values: Sequence[float],
    maxima: Sequence[float],
    *,
    size: int = 260,
    color: str = "#1b7f3b",
    title: str = "",
) -> str:
    """One axis per label; each value is drawn as a share of its maximum (0 at the centre).

    Labels longer than a short line ("Professional ethics 18/30") wrap at spaces, and the drawing is
    widened (equally on both sides, so the chart stays centred) and heightened until every label fits:
    whatever the language, no label is cut off at the edge of the SVG."""
    n = len(labels)
    c = size / 2
    r = size / 2 - 48
    font, line_height, pad = 12, 14.4, 4
    pts, grid, axes, text = [], [], [], []
    left, right, top, bottom = 0.0, float(size), 0.0, float(size)  # the drawing's extent

    def at(i: int, share: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return c + r * share * math.cos(angle), c + r * share * math.sin(angle)

    for ring in (0.25, 0.5, 0.75, 1.0):
        grid.append(" ".join(f"{x:.1f},{y:.1f}" for x, y in (at(i, ring) for i in range(n))))
    for i, (label, value, top_value) in enumerate(zip(labels, values, maxima, strict=True)):
        share = max(0.0, min(1.0, value / top_value)) if top_value else 0.0
        pts.append(at(i, share))
        x, y = at(i, 1.0)
        axes.append(f'<line x1="{c:.1f}" y1="{c:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#d9dee2"/>')
        lx, ly = at(i, 1.18)
        above_or_below = abs(lx - c) < 10
        lines = _wrap(f"{label} {value:g}/{top_value:g}", size if above_or_below else 8.5 * font, font)
        if above_or_below:  # centred, growing away from the chart
            anchor = "middle"
            first = ly - (len(lines) - 1) * line_height if ly < c else ly
        else:  # beside the chart: centred on the axis's end, growing away from it
            anchor = "start" if lx > c else "end"
            first = ly - (len(lines) - 1) * line_height / 2
        for k, words in enumerate(lines):
            w = _text_width(words, font)
            x0 = {"start": lx, "end": lx - w, "middle": lx - w / 2}[anchor]
            left, right = min(left, x0 - pad), max(right, x0 + w + pad)
            y_mid = first + k * line_height
            top, bottom = min(top, y_mid - line_height / 2 - pad), max(bottom, y_mid + line_height / 2 + pad)
        spans = "".join(
            f'<tspan x="{lx:.1f}" y="{first + k * line_height:.1f}">{escape(words)}</tspan>'
            for k, words in enumerate(lines)
        )
        text.append(
            f'<text text-anchor="{anchor}" font-size="{font}" dominant-baseline="middle">{spans}</text>'
        )
    side = max(-left, right - size)
    x_min, width, height = -side, size + 2 * side, bottom - top
    rings = "".join(f'<polygon points="{g}" fill="none" stroke="#d9dee2"/>' for g in grid)
    shape = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in pts)
    return (
        f'<svg class="chart radar" role="img" viewBox="{x_min:.1f} {top:.1f} {width:.1f} {height:.1f}" '
        f'width="100%" style="max-width:{width:.0f}px" xmlns="http://www.w3.org/2000/svg">'
        f"<title>{escape(title)}</title>"
        f'{rings}{"".join(axes)}<polygon points="{shape}" fill="{color}" fill-opacity="0.25" '
        f'stroke="{color}" stroke-width="2"/>{dots}{"".join(text)}</svg>'
    )


def line(
    points: Sequence[tuple[date, int]],
    *,
    low: int,
    high: int,
    end: date | None = None,
    min_days: int = 30,
    thresholds: Sequence[tuple[int, str]] = (),
    width: int = 360,
    height: int = 180,
    color: str = "#1b7f3b",
    title: str = "",
) -> str:
    """A step line of (day, total) points over a time axis that ends on ``end`` (default: the last
    point's day) and spans at least ``min_days``, so a single point or a single day of points sits at
    the right end of a readable axis rather than on an axis of one day. The last value is labelled."""
    left, right, top, bottom = 34, 26, 10, 24
    w, h = width - left - right, height - top - bottom

    def y(v: float) -> float:
        return top + h * (1 - (v - low) / max(1, high - low))

    parts = [
        f'<line x1="{left}" y1="{top + h}" x2="{left + w}" y2="{top + h}" stroke="#5f6b73"/>',
        f'<line x1="{left}" y1="{top}" x2="{left}" y2="{top + h}" stroke="#5f6b73"/>',
    ]
    for v in (low, high):
        parts.append(
            f'<text x="{left - 4}" y="{y(v):.1f}" text-anchor="end" font-size="10" '
            f'dominant-baseline="middle">{v}</text>'
        )
    for v, label in thresholds:
        parts.append(
            f'<line x1="{left}" y1="{y(v):.1f}" x2="{left + w}" y2="{y(v):.1f}" stroke="#a4461b" '
            f'stroke-dasharray="4 3"/><text x="{left + w}" y="{y(v) - 3:.1f}" text-anchor="end" '
            f'font-size="10">{escape(label)} {v}</text>'
        )
    pts = sorted(points)
    if pts or end:
        last = max(d for d in (end, pts[-1][0] if pts else None) if d is not None)
        first = min([last - timedelta(days=min_days), *(d for d, _ in pts[:1])])
        span = (last - first).days or 1

        def x(d: date) -> float:
            return left + w * (d - first).days / span

        parts.append(
            f'<text class="axis-start" x="{left}" y="{height - 6}" font-size="10">{first}</text>'
            f'<text class="axis-end" x="{left + w}" y="{height - 6}" font-size="10" '
            f'text-anchor="end">{last}</text>'
        )
    if pts:
        # A score holds from the day it was recorded until the next change, and up to the axis end.
        path = f"M{x(pts[0][0]):.1f},{y(pts[0][1]):.1f}"
        for d, v in pts[1:]:
            path += f" H{x(d):.1f} V{y(v):.1f}"
        path += f" H{x(last):.1f}"
        parts.append(f'<path d="{path}" fill="none" stroke="{color}" stroke-width="2"/>')
        parts += [
            f'<circle cx="{x(d):.1f}" cy="{y(v):.1f}" r="2.5" fill="{color}"><title>{d}: {v}</title></circle>'
            for d, v in pts
        ]
        parts.append(
            f'<text class="last-value" x="{x(last) + 4:.1f}" y="{y(pts[-1][1]):.1f}" font-size="10" '
            f'dominant-baseline="middle">{pts[-1][1]}</text>'
        )
    return (
        f'<svg class="chart line" role="img" viewBox="0 0 {width} {height}" width="100%" '
        f'style="max-width:{width}px" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
        f"{''.join(parts)}</svg>"
    )
