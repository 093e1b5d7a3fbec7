"""Charts drawn on the server as PNG (Pillow): mail clients run no scripts and most show no SVG.

The S-curve (planned and earned value by status date) and the milestones' slip, each as PNG
bytes, for the e-mail's inline images and the PDF. No text from a tracker is drawn.
"""

from __future__ import annotations

import io
from collections.abc import Sequence

from PIL import Image, ImageDraw

from syncd.reports.model import CurvePoint, Milestone

SIZE = (640, 240)
PAD = 36
PV, EV, GRID, INK = "#7f8c8d", "#2980b9", "#e5e8ea", "#2c3e50"
RED, AMBER, GREEN = "#c0392b", "#e67e22", "#27ae60"


def _png(image: Image.Image) -> bytes:
    out = io.BytesIO()
    image.save(out, format="PNG", optimize=True)
    return out.getvalue()


def _canvas() -> tuple[Image.Image, ImageDraw.ImageDraw]:
    image = Image.new("RGB", SIZE, "white")
    draw = ImageDraw.Draw(image)
    for step in range(5):
        y = PAD + (SIZE[1] - 2 * PAD) * step / 4
        draw.line([(PAD, y), (SIZE[0] - PAD, y)], fill=GRID)
    return image, draw


def s_curve(points: Sequence[CurvePoint]) -> bytes:
    """Cumulative PV (grey) and EV (blue) over the status dates; one point draws a dot each."""
    image, draw = _canvas()
    top = max((max(p.pv, p.ev) for p in points), default=0.0) or 1.0
    width, height = SIZE[0] - 2 * PAD, SIZE[1] - 2 * PAD
    span = max(1, len(points) - 1)

    def xy(index: int, value: float) -> tuple[float, float]:
        return PAD + width * index / span, SIZE[1] - PAD - height * value / top

    for colour, values in ((PV, [p.pv for p in points]), (EV, [p.ev for p in points])):
        line = [xy(i, v) for i, v in enumerate(values)]
        if len(line) > 1:
            draw.line(line, fill=colour, width=3)
        for x, y in line:
            draw.ellipse([x - 3, y - 3, x + 3, y + 3], fill=colour)
    draw.text((PAD, 8), "Planned value", fill=PV)
    draw.text((PAD + 110, 8), "Earned value", fill=EV)
    if len(points) < 2:
        draw.text((PAD + 40, SIZE[1] / 2), "one status date so far: a curve needs two", fill=INK)
    return _png(image)


def slips(milestones: Sequence[Milestone], *, red_days: float = 5.0) -> bytes:
    """One bar per open milestone: its forecast slip in working days (late is right of zero)."""
    image, draw = _canvas()
    shown = [m for m in milestones if not m.done][:8]
    worst = max((abs(m.slip_days) for m in shown), default=0.0) or 1.0
    middle = SIZE[0] / 2
    row = (SIZE[1] - 2 * PAD) / max(1, len(shown))
    draw.line([(middle, PAD), (middle, SIZE[1] - PAD)], fill=INK)
    for index, m in enumerate(shown):
        y = PAD + row * index + row * 0.2
        end = middle + (SIZE[0] / 2 - PAD) * m.slip_days / worst
        colour = RED if m.slip_days >= red_days else AMBER if m.slip_days > 0 else GREEN
        draw.rectangle([min(middle, end), y, max(middle, end) + 1, y + row * 0.6], fill=colour)
    draw.text((PAD, 8), "Milestone slip (working days)", fill=INK)
    return _png(image)
