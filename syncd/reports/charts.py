"""The data behind the Gantt, the S-curve and the scope burn-up, as `static/charts.js` draws them.

Dates become day numbers (days since 1970-01-01); a bar covers its finish day, so it ends on
the day after. Labels are drawn on a canvas as text, never parsed as markup.

With the baseline plan at hand (the dashboard has it; the standalone report does not), the
Gantt adds a group bar for each summary task, and the S-curve's planned value is drawn from the
plan itself on every working day up to the budget at completion; without it, PV is the value
each stored snapshot recorded. EV is a point per snapshot, joined only between consecutive days.
"""

from __future__ import annotations

from datetime import date, timedelta
from importlib import resources
from typing import TYPE_CHECKING, Any

from syncd.mapping.config import Thresholds
from syncd.reports.model import Status, TaskRow

if TYPE_CHECKING:
    from syncd.plan.baseline import Baseline

EPOCH = date(1970, 1, 1)
COLOURS = {"green": "#1e8449", "amber": "#d68910", "red": "#c0392b"}


def day_number(value: date) -> int:
    return (value - EPOCH).days


def _colour(row: TaskRow, t: Thresholds | None = None) -> str:
    """Red from the client's red slip, amber when behind or from its amber slip, else green."""
    t = t or Thresholds()
    if row.done:
        return COLOURS["green"]
    if row.slip_days >= t.slip_days_red:
        return COLOURS["red"]
    late = row.behind or row.slip_days >= t.slip_days_amber
    return COLOURS["amber"] if late else COLOURS["green"]


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


def gantt(status: Status, baseline: Baseline | None = None) -> dict[str, Any]:
    """Baseline and forecast bars per task (and per summary, from `baseline`), milestone
    diamonds, and the status-date line."""
    t = status.client.thresholds
    rows = status.tasks
    labels = _labels(rows)
    order = _with_summaries(rows, labels, baseline)
    names: list[str] = []
    baseline_bars: list[list[int] | None] = []
    forecast: list[list[int] | None] = []
    colours: list[str] = []
    summary: list[list[int] | None] = []
    base_ms: list[dict[str, Any]] = []
    fore_ms: list[dict[str, Any]] = []
    ms_colours: list[str] = []
    for label, row, children in order:
        names.append(label)
        if row is None:  # a summary: one thin bar over its children's forecast, and baseline
            starts = [c.forecast_start or c.baseline_start for c in children]
            ends = [c.forecast_finish or c.baseline_finish for c in children]
            summary.append([day_number(min(starts)), day_number(max(ends)) + 1])
            first = min(c.baseline_start for c in children)
            baseline_bars.append(
                [day_number(first), day_number(max(c.baseline_finish for c in children)) + 1]
            )
            forecast.append(None)
            colours.append(COLOURS["green"])
            continue
        summary.append(None)
        if row.milestone:
            baseline_bars.append(None)
            forecast.append(None)
            colours.append(COLOURS["green"])
            base_ms.append({"x": day_number(row.baseline_finish) + 1, "y": label})
            if row.forecast_finish is not None:
                fore_ms.append({"x": day_number(row.forecast_finish) + 1, "y": label})
                ms_colours.append(_colour(row, t))
            continue
        baseline_bars.append([day_number(row.baseline_start), day_number(row.baseline_finish) + 1])
        start = row.forecast_start or row.baseline_start
        end = row.forecast_finish
        forecast.append(None if end is None else [day_number(start), day_number(end) + 1])
        colours.append(_colour(row, t))
    today = day_number(status.as_of) + 1
    edges: list[int] = [v for bar in baseline_bars + forecast + summary if bar for v in bar]
    edges += [p["x"] for p in base_ms + fore_ms] + [today]
    low, high = min(edges) - 3, max(edges) + 5  # room for a diamond at either end
    return {
        "labels": names,
        "baseline": baseline_bars,
        "forecast": forecast,
        "summary": summary,
        "forecastColours": colours,
        "milestonesBaseline": base_ms,
        "milestonesForecast": fore_ms,
        "milestoneColours": ms_colours,
        "today": today,
        "min": low,
        "max": high,
        "months": _months(low, high),
    }


def _with_summaries(
    rows: tuple[TaskRow, ...], labels: list[str], baseline: Baseline | None
) -> list[tuple[str, TaskRow | None, list[TaskRow]]]:
    """(label, row, children) in plan order: a summary (row None) before its leaves."""
    plain: list[tuple[str, TaskRow | None, list[TaskRow]]] = [
        (label, row, []) for row, label in zip(rows, labels, strict=True)
    ]
    if baseline is None or not any(t.summary for t in baseline.tasks):
        return plain
    by_key = {row.key: (label, row) for row, label in zip(rows, labels, strict=True)}
    parents = {t.key: t.parent for t in baseline.tasks}

    def under(key: str, summary: str) -> bool:
        seen = parents.get(key)
        while seen is not None:
            if seen == summary:
                return True
            seen = parents.get(seen)
        return False

    out: list[tuple[str, TaskRow | None, list[TaskRow]]] = []
    for task in baseline.tasks:
        if task.summary:
            children = [r for k, (_, r) in by_key.items() if under(k, task.key)]
            if children:
                out.append((task.label, None, children))
        elif task.key in by_key:
            label, row = by_key[task.key]
            out.append((label, row, []))
    listed = {r.key for _, r, _ in out if r is not None}
    out += [
        (label, row, []) for label, row, _ in plain if row is not None and row.key not in listed
    ]
    return out


def _months(low: int, high: int) -> list[int]:
    """Day numbers of the first day of each month between `low` and `high`."""
    day = EPOCH + timedelta(days=low)
    first = date(day.year, day.month, 1)
    out = []
    while day_number(first) <= high:
        if day_number(first) >= low:
            out.append(day_number(first))
        first = date(first.year + first.month // 12, first.month % 12 + 1, 1)
    return out


def planned_value(baseline: Baseline) -> list[dict[str, float]]:
    """PV from the plan at the end of every working day (Monday to Friday, less the plan's
    holidays), from the start to BAC; the same spans as the engine's PV curve."""
    from syncd.plan.calendar import WorkCalendar, span, weekday_numbers
    from syncd.plan.schedule import pv_curve

    leaves = baseline.leaves
    if not leaves:
        return []
    cal = WorkCalendar(weekday_numbers(["sat", "sun"]), frozenset(baseline.holidays))
    origin = baseline.start
    spans = []
    for task in leaves:
        first, last = span(cal, origin, task.start, task.finish, milestone=task.milestone)
        spans.append((first, last, task.budget))
    periods = max(last for _, last, _ in spans)
    values = pv_curve(spans, periods)
    points = [{"x": day_number(origin), "y": round(values[0], 4)}]
    for n in range(1, periods + 1):
        points.append({"x": day_number(cal.finish_date(origin, n)) + 1, "y": round(values[n], 4)})
    return points


def curve(status: Status, baseline: Baseline | None = None) -> dict[str, Any]:
    """Cumulative PV (from the plan when given, else per snapshot) and EV per snapshot."""
    f = status.figures
    unit = f.currency if f.unit == "money" else "hours"
    days = [day_number(p.as_of) + 1 for p in status.curve] or [day_number(status.as_of) + 1]
    plan = planned_value(baseline) if baseline is not None else []
    if plan:
        days += [int(plan[0]["x"]), int(plan[-1]["x"])]
    pad = 7 if len(set(days)) == 1 else 2
    recorded = [{"x": day_number(p.as_of) + 1, "y": round(p.pv, 4)} for p in status.curve]
    return {
        "min": min(days) - pad,
        "max": max(days) + pad,
        "pv": plan or _gapped(recorded),
        "pvFromPlan": bool(plan),
        "ev": _gapped([{"x": day_number(p.as_of) + 1, "y": round(p.ev, 4)} for p in status.curve]),
        "today": day_number(status.as_of) + 1,
        "bac": f.bac,
        "unit": unit,
    }


def _gapped(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """The points with an empty one (y null) between two that are not on consecutive days: the
    line breaks there instead of drawing a straight line across days with no snapshot."""
    out: list[dict[str, Any]] = []
    for point in points:
        if out and point["x"] - out[-1]["x"] > 1:
            out.append({"x": out[-1]["x"] + 1, "y": None})
        out.append(point)
    return out


def burnup(status: Status) -> dict[str, Any]:
    """Scope over time: planned and unplanned items at every stored status date."""
    pts = [p for p in status.curve if p.planned_items is not None]
    return {
        "planned": _gapped([{"x": day_number(p.as_of) + 1, "y": p.planned_items} for p in pts]),
        "unplanned": _gapped(
            [{"x": day_number(p.as_of) + 1, "y": p.unplanned_items or 0} for p in pts]
        ),
        "today": day_number(status.as_of) + 1,
        "max": day_number(status.as_of) + 2,
    }


def chart_data(status: Status, baseline: Baseline | None = None) -> dict[str, Any]:
    return {
        "gantt": gantt(status, baseline),
        "curve": curve(status, baseline),
        "burnup": burnup(status),
    }


def asset(name: str) -> str:
    """The text of a file in `syncd/reports/static` (the chart library, the chart code, CSS)."""
    return resources.files("syncd.reports").joinpath("static", name).read_text(encoding="utf-8")
