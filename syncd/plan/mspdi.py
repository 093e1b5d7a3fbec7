"""MS Project XML (MSPDI) into a Baseline (docs/plan-math.md §1.1).

Parsed with defusedxml: a file that declares a DTD or entities is refused, so entity expansion
("billion laughs") and external references cannot run. Task keys are UIDs. The baseline is
Baseline element `Number` N (default: the project's BaselineForEarnedValue, else 0);
`CURRENT_SCHEDULE` takes the current Start/Finish/Work instead. Summaries are kept for the
outline and never summed. Lags are tenths of a minute, read through their LagFormat.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta
from pathlib import Path

import defusedxml
import defusedxml.ElementTree as SafeET

from syncd.errors import PlanError
from syncd.plan.baseline import (
    Baseline,
    Dependency,
    LinkType,
    PlanTask,
    RecordedProgress,
    build_baseline,
)
from syncd.plan.calendar import WorkCalendar
from syncd.plan.mspdi_parts import (
    Element,
    baseline_numbers,
    bl_child,
    calendar_holidays,
    child,
    children,
    flag,
    hours,
    number,
    text,
    when,
)

CURRENT_SCHEDULE = -1
_LINK_TYPES = {0: LinkType.FF, 1: LinkType.FS, 2: LinkType.SF, 3: LinkType.SS}
_ELAPSED_LAGS = {4, 6, 8, 10, 12, 20}
_PERCENT_LAGS = {19, 20}


@dataclass(frozen=True, slots=True)
class _Project:
    source: str
    minutes_per_day: float
    day_start: time
    day_end: time
    notes: list[str] = field(default_factory=list)

    @property
    def hours_per_day(self) -> float:
        return self.minutes_per_day / 60.0


def load_mspdi(path: Path, *, baseline_number: int | None = None) -> Baseline:
    """Read an MSPDI file (see `parse_mspdi`)."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise PlanError(f"{path.name}: cannot read: {exc}") from None
    return parse_mspdi(data, source=path.name, baseline_number=baseline_number)


def parse_xml(data: bytes, source: str) -> Element:
    """The root element, parsed safely; DTDs, entities and external references are refused."""
    try:
        root: Element = SafeET.fromstring(data, forbid_dtd=True)
    except defusedxml.DefusedXmlException as exc:
        raise PlanError(
            f"{source}: refused: the XML declares a DTD or entities ({type(exc).__name__}); "
            "entity expansion is not allowed in plan files"
        ) from None
    except SafeET.ParseError as exc:
        raise PlanError(f"{source}: not well-formed XML: {exc}") from None
    return root


def parse_mspdi(
    data: bytes, *, source: str, baseline_number: int | None = None, fmt: str = "mspdi"
) -> Baseline:
    """A Baseline from MSPDI bytes; PlanError names the file, task and problem."""
    root = parse_xml(data, source)
    if not root.tag.endswith("Project") or child(root, "Tasks") is None:
        raise PlanError(f"{source}: not an MS Project XML file (no Project/Tasks)")
    chosen = _choose(root, baseline_number, source)
    project = _Project(
        source=source,
        minutes_per_day=number(root, "MinutesPerDay") or 480.0,
        day_start=_clock(root, "DefaultStartTime", time(8)),
        day_end=_clock(root, "DefaultFinishTime", time(17)),
    )
    elements = [t for t in child(root, "Tasks") or [] if _wanted(t, project)]
    _require_baseline(elements, chosen, source)
    _note_own_calendars(elements, text(root, "CalendarUID") or "", project)
    tasks = _tasks(elements, chosen, project)
    label = "Current schedule" if chosen == CURRENT_SCHEDULE else f"Baseline {chosen or ''}".strip()
    status = when(root, "StatusDate")
    return build_baseline(
        text(root, "Title") or text(root, "Name") or Path(source).stem,
        tasks,
        version="current" if chosen == CURRENT_SCHEDULE else str(chosen),
        label=label,
        unit="hours",
        source=source,
        format=fmt,
        baseline_number=chosen,
        status_date=status.date() if status else None,
        holidays=calendar_holidays(root),
        notes=tuple(project.notes),
    )


def _clock(root: Element, name: str, default: time) -> time:
    value = text(root, name)
    try:
        return time.fromisoformat(value) if value else default
    except ValueError:
        return default


def _choose(root: Element, wanted: int | None, source: str) -> int:
    chosen = wanted if wanted is not None else int(number(root, "BaselineForEarnedValue") or 0)
    if chosen != CURRENT_SCHEDULE and not 0 <= chosen <= 10:
        raise PlanError(f"{source}: baseline number {chosen} is out of range (0-10)")
    return chosen


def _note_own_calendars(elements: list[Element], project_calendar: str, project: _Project) -> None:
    """Say so when tasks carry a calendar of their own: syncd schedules every task on the
    project calendar, so their forecast dates may differ from Project's by their non-working
    days."""
    own = [
        text(t, "UID") or ""
        for t in elements
        if text(t, "CalendarUID") not in (None, "", "-1", project_calendar)
    ]
    if own:
        shown = ", ".join(own[:5]) + (f" and {len(own) - 5} more" if len(own) > 5 else "")
        project.notes.append(
            f"{project.source}: {len(own)} task(s) (UID {shown}) carry their own calendar; "
            "syncd schedules every task on the project calendar"
        )


def _wanted(task: Element, project: _Project) -> bool:
    uid = text(task, "UID")
    if flag(task, "IsNull") or number(task, "OutlineLevel") == 0 or uid in (None, "0"):
        return False
    if text(task, "Active") == "0":
        project.notes.append(
            f"{project.source}: task {uid} ({text(task, 'Name')}) is inactive; skipped"
        )
        return False
    return True


def _require_baseline(elements: list[Element], chosen: int, source: str) -> None:
    if chosen == CURRENT_SCHEDULE:
        return
    present = baseline_numbers(elements)
    if chosen not in present:
        have = ", ".join(map(str, present)) or "none"
        raise PlanError(
            f"{source}: the file has no baseline {chosen} (baselines present: {have}); "
            "choose one of them, or import the current schedule"
        )


def _tasks(elements: list[Element], chosen: int, project: _Project) -> list[PlanTask]:
    keys = {text(t, "UID") or "" for t in elements}
    parents: list[tuple[float, str]] = []
    tasks = []
    for el in elements:
        key = text(el, "UID") or ""
        level = number(el, "OutlineLevel") or 1
        while parents and parents[-1][0] >= level:
            parents.pop()
        tasks.append(_task(el, key, parents[-1][1] if parents else None, chosen, keys, project))
        parents.append((level, key))
    return _budget_fallback(tasks, project)


def _task(
    el: Element, key: str, parent: str | None, chosen: int, keys: set[str], project: _Project
) -> PlanTask:
    name = text(el, "Name") or f"Task {key}"
    milestone = flag(el, "Milestone")
    start, finish, work = _planned(el, key, name, chosen, milestone, project)
    deadline = when(el, "Deadline")
    return PlanTask(
        key=key,
        name=name,
        start=start,
        finish=finish,
        wbs=text(el, "WBS") or text(el, "OutlineNumber") or "",
        parent=parent,
        budget=0.0 if milestone and not work else work,
        milestone=milestone,
        summary=flag(el, "Summary"),
        deadline=deadline.date() if deadline else None,
        dependencies=tuple(_links(el, key, keys, project)),
        progress=_progress(el, project),
    )


def _planned(
    el: Element, key: str, name: str, chosen: int, milestone: bool, project: _Project
) -> tuple[date, date, float]:
    """Baseline (or current) start, finish and work hours of one task."""
    holder: Element | None = el if chosen == CURRENT_SCHEDULE else bl_child(el, chosen)
    missing = holder is None
    if holder is None:
        holder = el
        if not flag(el, "Summary"):
            project.notes.append(
                f"{project.source}: task {key} ({name}) has no baseline {chosen}: "
                "current dates, budget 0"
            )
    start_at, finish_at = when(holder, "Start"), when(holder, "Finish")
    if start_at is None or finish_at is None:
        raise PlanError(f"{project.source}: task {key} ({name}): no start or finish date")
    work = 0.0 if missing else hours(holder, "Work") or 0.0
    start, finish = _day_span(start_at, finish_at, milestone, project)
    if finish < start:
        days = max(round((hours(holder, "Duration") or 0.0) / project.hours_per_day), 1)
        project.notes.append(
            f"{project.source}: task {key} ({name}): baseline finish {finish} precedes its start "
            f"{start}; finish taken from the baseline duration ({days} d)"
        )
        finish = start + timedelta(days=days - 1)
    return start, finish, work


def _day_span(
    start: datetime, finish: datetime, milestone: bool, project: _Project
) -> tuple[date, date]:
    """Whole days: a start at the day's end moves on, a finish at the day's start moves back."""
    if milestone:
        return finish.date(), finish.date()
    first = start.date() + timedelta(days=1) if start.time() >= project.day_end else start.date()
    last = finish.date()
    if finish.time() <= project.day_start and last > start.date():
        last -= timedelta(days=1)
    if last < first <= finish.date():
        last = first
    return first, last


def _links(el: Element, key: str, keys: set[str], project: _Project) -> list[Dependency]:
    deps = []
    for link in children(el, "PredecessorLink"):
        pred = text(link, "PredecessorUID") or ""
        if pred not in keys or flag(link, "CrossProject"):
            project.notes.append(
                f"{project.source}: task {key}: link from {pred} is outside the plan; skipped"
            )
            continue
        code = number(link, "Type")
        kind = _LINK_TYPES.get(1 if code is None else int(code), LinkType.FS)
        deps.append(Dependency(pred, kind, _lag_days(link, key, project)))
    return deps


def _lag_days(link: Element, key: str, project: _Project) -> float:
    tenths = number(link, "LinkLag") or 0.0
    fmt = int(number(link, "LagFormat") or 7)
    base = fmt - 32 if fmt > 32 else fmt
    if base in _PERCENT_LAGS:
        project.notes.append(
            f"{project.source}: task {key}: percent lag read as working days of 1 d per 100 %"
        )
        return tenths / 10.0 / 100.0
    minutes = tenths / 10.0
    if base in _ELAPSED_LAGS:
        project.notes.append(
            f"{project.source}: task {key}: elapsed lag converted at 5 working days a week"
        )
        return minutes / 1440.0 * 5.0 / 7.0
    return minutes / project.minutes_per_day


def _progress(el: Element, project: _Project) -> RecordedProgress:
    started, ended = when(el, "ActualStart"), when(el, "ActualFinish")
    current_start, current_finish = when(el, "Start"), when(el, "Finish")
    remaining = hours(el, "RemainingDuration")
    return RecordedProgress(
        percent_complete=(number(el, "PercentComplete") or 0.0) / 100.0,
        actual_start=started.date() if started else None,
        actual_finish=ended.date() if ended else None,
        current_start=current_start.date() if current_start else None,
        current_finish=current_finish.date() if current_finish else None,
        remaining_days=None if remaining is None else remaining / project.hours_per_day,
    )


def _budget_fallback(tasks: list[PlanTask], project: _Project) -> list[PlanTask]:
    """When no leaf carries work, budget by duration (hours) so EV is duration-weighted."""
    leaves = [t for t in tasks if not t.summary and not t.milestone]
    if not leaves or any(t.budget > 0 for t in leaves):
        return tasks
    project.notes.append(f"{project.source}: no task carries work; budgets are durations in hours")
    cal = WorkCalendar()
    return [
        t
        if t.summary or t.milestone
        else replace(t, budget=cal.duration(t.start, t.finish) * project.hours_per_day)
        for t in tasks
    ]
