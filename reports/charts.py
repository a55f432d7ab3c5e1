"""Small server-rendered SVG charts for the ops pages: bars of one series, and a line over days.
No script, nothing fetched: each chart is markup in the page (the CSP allows it)."""

from collections.abc import Sequence
from html import escape

WIDTH, HEIGHT, PAD = 640, 220, 40


def _scale(values: Sequence[float]) -> float:
    top = max((v for v in values if v is not None), default=0) or 1
    return (HEIGHT - 2 * PAD) / top


def bar_chart(*, title: str, labels: Sequence[str], values: Sequence[float], unit: str = "") -> str:
    """Vertical bars, one per label, each with its value written above it."""
    scale = _scale(values)
    slot = (WIDTH - 2 * PAD) / max(1, len(values))
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<text x="{PAD}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
             f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#888"/>']
    for index, (label, value) in enumerate(zip(labels, values)):
        height = (value or 0) * scale
        x = PAD + index * slot + slot * 0.15
        y = HEIGHT - PAD - height
        parts.append(f'<rect x="{x:.1f}" y="{y:.1f}" width="{slot * 0.7:.1f}" height="{height:.1f}" fill="#3b82f6">'
                     f'<title>{escape(label)}: {value:g}{escape(unit)}</title></rect>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{y - 3:.1f}" font-size="10" text-anchor="middle">'
                     f'{value:g}</text>')
        parts.append(f'<text x="{x + slot * 0.35:.1f}" y="{HEIGHT - PAD + 14}" font-size="10" '
                     f'text-anchor="middle">{escape(label)}</text>')
    parts.append("</svg>")
    return "".join(parts)


def line_chart(*, title: str, labels: Sequence[str], values: Sequence[float | None], unit: str = "") -> str:
    """A line over the labels (days); a missing value breaks the line."""
    scale = _scale(values)
    step = (WIDTH - 2 * PAD) / max(1, len(values) - 1)
    parts = [f'<svg xmlns="http://www.w3.org/2000/svg" class="chart" viewBox="0 0 {WIDTH} {HEIGHT}" role="img" '
             f'aria-label="{escape(title)}"><title>{escape(title)}</title>',
             f'<text x="{PAD}" y="18" font-size="13" font-weight="bold">{escape(title)}</text>',
             f'<line x1="{PAD}" y1="{HEIGHT - PAD}" x2="{WIDTH - PAD}" y2="{HEIGHT - PAD}" stroke="#888"/>']
    segment: list[str] = []
    segments = [segment]
    for index, value in enumerate(values):
        if value is None:
            segment = []
            segments.append(segment)
            continue
        x, y = PAD + index * step, HEIGHT - PAD - value * scale
        segment.append(f"{x:.1f},{y:.1f}")
        parts.append(f'<circle cx="{x:.1f}" cy="{y:.1f}" r="2.5" fill="#3b82f6"><title>{escape(labels[index])}: '
                     f'{value:g}{escape(unit)}</title></circle>')
    for points in segments:
        if len(points) > 1:
            parts.append(f'<polyline fill="none" stroke="#3b82f6" stroke-width="1.5" points="{" ".join(points)}"/>')
    top = max((v for v in values if v is not None), default=0)
    parts.append(f'<text x="4" y="{PAD}" font-size="10">{top:g}</text>')
    for index in (0, len(labels) - 1):
        if labels:
            parts.append(f'<text x="{PAD + index * step:.1f}" y="{HEIGHT - PAD + 14}" font-size="10" '
                         f'text-anchor="middle">{escape(labels[index])}</text>')
    parts.append("</svg>")
    return "".join(parts)
