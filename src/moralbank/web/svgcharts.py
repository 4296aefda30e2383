"""Charts as server-side inline SVG (no JavaScript chart library, no CDN): a radar of the four aspects
and a line of the score over time. Pure functions returning markup; labels are escaped."""

from __future__ import annotations

import math
from collections.abc import Sequence
from datetime import date, timedelta
from html import escape


def radar(
    labels: Sequence[str],
    values: Sequence[float],
    maxima: Sequence[float],
    *,
    size: int = 260,
    color: str = "#1b7f3b",
    title: str = "",
) -> str:
    """One axis per label; each value is drawn as a share of its maximum (0 at the centre)."""
    n = len(labels)
    c = size / 2
    r = size / 2 - 48
    side = 90
    pts, grid, axes, text = [], [], [], []

    def at(i: int, share: float) -> tuple[float, float]:
        angle = -math.pi / 2 + 2 * math.pi * i / n
        return c + r * share * math.cos(angle), c + r * share * math.sin(angle)

    for ring in (0.25, 0.5, 0.75, 1.0):
        grid.append(" ".join(f"{x:.1f},{y:.1f}" for x, y in (at(i, ring) for i in range(n))))
    for i, (label, value, top) in enumerate(zip(labels, values, maxima, strict=True)):
        share = max(0.0, min(1.0, value / top)) if top else 0.0
        pts.append(at(i, share))
        x, y = at(i, 1.0)
        axes.append(f'<line x1="{c:.1f}" y1="{c:.1f}" x2="{x:.1f}" y2="{y:.1f}" stroke="#d9dee2"/>')
        lx, ly = at(i, 1.18)
        anchor = "middle" if abs(lx - c) < 10 else ("start" if lx > c else "end")
        text.append(
            f'<text x="{lx:.1f}" y="{ly:.1f}" text-anchor="{anchor}" font-size="12" '
            f'dominant-baseline="middle">{escape(label)} {value:g}/{top:g}</text>'
        )
    rings = "".join(f'<polygon points="{g}" fill="none" stroke="#d9dee2"/>' for g in grid)
    shape = " ".join(f"{x:.1f},{y:.1f}" for x, y in pts)
    dots = "".join(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="3" fill="{color}"/>' for x, y in pts)
    return (
        # Side labels ("Professional ethics 8/30") run wider than the chart: room on both sides.
        f'<svg class="chart radar" role="img" viewBox="{-side} 0 {size + 2 * side} {size}" width="100%" '
        f'style="max-width:{size + 2 * side}px" xmlns="http://www.w3.org/2000/svg"><title>{escape(title)}</title>'
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
