"""The data behind the Gantt and the S-curve, as `static/charts.js` draws them.

Dates become day numbers (days since 1970-01-01); a bar covers its finish day, so it ends on
the day after. Labels are drawn on a canvas as text, never parsed as markup.
"""

from __future__ import annotations

from datetime import date
from importlib import resources
from typing import Any

from syncd.reports.model import Status, TaskRow

EPOCH = date(1970, 1, 1)
COLOURS = {"green": "#27ae60", "amber": "#e67e22", "red": "#c0392b"}


def day_number(value: date) -> int:
    return (value - EPOCH).days


def _colour(row: TaskRow, red_days: float = 5.0) -> str:
    if row.slip_days >= red_days:
        return COLOURS["red"]
    return COLOURS["amber"] if row.behind and not row.done else COLOURS["green"]


def _labels(rows: tuple[TaskRow, ...]) -> list[str]:
    seen: set[str] = set()
    out = []
    for row in rows:
        label = row.label
        if label in seen:
            label = f"{label} [{row.key}]"
        seen.add(label)
        out.append(label)
    return out


def gantt(status: Status) -> dict[str, Any]:
    """Baseline and forecast bars per task, milestone diamonds, and the status-date line."""
    rows = status.tasks
    labels = _labels(rows)
    baseline: list[list[int] | None] = []
    forecast: list[list[int] | None] = []
    base_ms: list[dict[str, Any]] = []
    fore_ms: list[dict[str, Any]] = []
    for row, label in zip(rows, labels, strict=True):
        if row.milestone:
            baseline.append(None)
            forecast.append(None)
            base_ms.append({"x": day_number(row.baseline_finish) + 1, "y": label})
            if row.forecast_finish is not None:
                fore_ms.append({"x": day_number(row.forecast_finish) + 1, "y": label})
            continue
        baseline.append([day_number(row.baseline_start), day_number(row.baseline_finish) + 1])
        start = row.forecast_start or row.baseline_start
        end = row.forecast_finish
        forecast.append(None if end is None else [day_number(start), day_number(end) + 1])
    today = day_number(status.as_of) + 1
    ends = [v for bar in baseline + forecast if bar for v in bar]
    ends += [p["x"] for p in base_ms + fore_ms] + [today]
    return {
        "labels": labels,
        "baseline": baseline,
        "forecast": forecast,
        "forecastColours": [_colour(r) for r in rows],
        "milestonesBaseline": base_ms,
        "milestonesForecast": fore_ms,
        "milestoneColours": [_colour(r) for r in rows if r.milestone and r.forecast_finish],
        "today": today,
        "min": min(ends) - 2,
        "max": max(ends) + 3,
    }


def curve(status: Status) -> dict[str, Any]:
    """Cumulative PV and EV at every stored status date."""
    f = status.figures
    unit = f.currency if f.unit == "money" else "hours"
    days = [day_number(p.as_of) + 1 for p in status.curve] or [day_number(status.as_of) + 1]
    pad = 7 if len(set(days)) == 1 else 2
    return {
        "min": min(days) - pad,
        "max": max(days) + pad,
        "pv": [{"x": day_number(p.as_of) + 1, "y": round(p.pv, 4)} for p in status.curve],
        "ev": [{"x": day_number(p.as_of) + 1, "y": round(p.ev, 4)} for p in status.curve],
        "today": day_number(status.as_of) + 1,
        "bac": f.bac,
        "unit": unit,
    }


def chart_data(status: Status) -> dict[str, Any]:
    return {"gantt": gantt(status), "curve": curve(status)}


def asset(name: str) -> str:
    """The text of a file in `syncd/reports/static` (the chart library, the chart code, CSS)."""
    return resources.files("syncd.reports").joinpath("static", name).read_text(encoding="utf-8")
