"""Rows (from TOML tables or CSV lines) into a Baseline: the columns, their aliases, the checks.

A row is a dict of canonical column names. Each problem raises a PlanError naming the file,
the row and the column, so nothing is ever half-imported.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, TypeVar

from syncd.errors import PlanError
from syncd.plan.baseline import (
    Baseline,
    Dependency,
    LinkType,
    PlanTask,
    build_baseline,
    network_problems,
)
from syncd.plan.calendar import WorkCalendar

HOURS_PER_DAY = 8.0
_T = TypeVar("_T")

ALIASES: dict[str, tuple[str, ...]] = {
    "key": ("id", "task_id", "uid", "unique_id", "task_code", "activity_id"),
    "wbs": ("wbs_code", "outline_number"),
    "name": ("task_name", "title", "activity_name", "task"),
    "parent": ("parent_key", "parent_id"),
    "start": ("baseline_start", "planned_start", "target_start", "start_date"),
    "finish": ("baseline_finish", "baseline_end", "planned_finish", "target_finish", "end"),
    "budget": ("work", "effort", "hours", "budget_hours", "planned_work", "bac", "cost"),
    "milestone": ("is_milestone",),
    "deadline": ("due",),
    "predecessors": ("predecessor", "preds", "depends_on", "dependencies"),
    "tracker_refs": ("refs", "tracker", "trackers"),
    "currency": (),
}
CANONICAL = {alias: name for name, aliases in ALIASES.items() for alias in (name, *aliases)}

_PRED = re.compile(
    r"^(?P<ref>[\w.\-/:#]+?)(?:(?P<type>FS|SS|FF|SF)"
    r"(?:\s*(?P<sign>[+-])\s*(?P<num>\d+(?:\.\d+)?)\s*(?P<unit>[a-z%]*))?)?$"
)
_LAG_UNITS = {"": 1.0, "d": 1.0, "day": 1.0, "days": 1.0, "wd": 1.0, "w": 5.0, "wk": 5.0}
_LAG_UNITS |= {"wks": 5.0, "week": 5.0, "weeks": 5.0}
_HOUR_UNITS = {"h", "hr", "hrs", "hour", "hours"}
_TRUE = {"true", "yes", "y", "1", "x"}
_FALSE = {"false", "no", "n", "0", ""}


def canonical_column(header: str) -> str | None:
    """``"Baseline Start"`` → ``"start"``; None for a column syncd does not read."""
    return CANONICAL.get(re.sub(r"[\s\-]+", "_", header.strip().lower()))


@dataclass(frozen=True, slots=True)
class Row:
    """One plan row and where it came from (``row 4`` or ``tasks[3]``)."""

    where: str
    values: dict[str, Any]


def parse_predecessors(text: str, where: str) -> tuple[Dependency, ...]:
    """MS Project notation with task keys: ``"1.1FS+2d; 1.2SS"``."""
    deps = []
    for token in re.split(r"[;,]", text):
        if token.strip():
            deps.append(_parse_link(token.strip(), where))
    return tuple(deps)


def _parse_link(token: str, where: str) -> Dependency:
    match = _PRED.match(token)
    if match is None:
        raise PlanError(f"{where}: predecessors: cannot read {token!r}")
    lag = 0.0
    if match["num"] is not None:
        unit = match["unit"].lower()
        if unit in _HOUR_UNITS:
            factor = 1 / HOURS_PER_DAY
        elif unit in _LAG_UNITS:
            factor = _LAG_UNITS[unit]
        else:
            raise PlanError(
                f"{where}: predecessors: lag unit {unit!r} in {token!r} is not supported "
                "(use working days d, hours h or weeks w)"
            )
        lag = float(match["num"]) * factor * (-1 if match["sign"] == "-" else 1)
    return Dependency(match["ref"].strip(), LinkType(match["type"] or "FS"), lag)


def to_date(value: Any, where: str, column: str) -> date | None:
    """A TOML date/datetime or an ISO string; blank is None."""
    if value is None or value == "":
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    try:
        return date.fromisoformat(str(value).strip()[:10])
    except ValueError:
        raise PlanError(f"{where}: {column}: {value!r} is not a date (use YYYY-MM-DD)") from None


def to_bool(value: Any, where: str, column: str) -> bool | None:
    if value is None or isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE if text else None
    raise PlanError(f"{where}: {column}: {value!r} is not yes/no")


def to_budget(value: Any, where: str) -> float | None:
    if value is None or value == "":
        return None
    try:
        number = float(str(value).replace(",", "").strip()) if isinstance(value, str) else value
    except ValueError:
        raise PlanError(f"{where}: budget: {value!r} is not a number") from None
    if not isinstance(number, int | float) or isinstance(number, bool):
        raise PlanError(f"{where}: budget: {value!r} is not a number")
    return float(number)


def to_refs(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    items = value if isinstance(value, list) else re.split(r"[;,]", str(value))
    return tuple(str(v).strip() for v in items if str(v).strip())


def _deps(value: Any, where: str) -> tuple[Dependency, ...]:
    if value is None:
        return ()
    text = ";".join(map(str, value)) if isinstance(value, list) else str(value)
    return parse_predecessors(text, where)


def rows_to_baseline(rows: list[Row], *, source: str, meta: dict[str, Any]) -> Baseline:
    """Check every row, derive parents and summaries, fill summary dates, build the Baseline.

    Every row is checked before anything is refused: one PlanError lists the problems of all.
    """
    cal = WorkCalendar(holidays=frozenset(meta.get("holidays", ())))
    notes: list[str] = list(meta.pop("notes", ()))
    problems: list[str] = []
    keyed = [k for row in rows if (k := _collect(problems, _key_row, row, source)) is not None]
    parents = _parents(keyed)
    dates = _summary_dates(keyed, parents, source, problems)
    summaries = set(parents.values())
    tasks = [
        task
        for key, row in keyed
        if key in dates
        and (
            task := _collect(
                problems, _task, row, key, parents.get(key), dates, meta, cal, notes, source,
                key in summaries,
            )
        )
        is not None
    ]  # fmt: skip
    name = meta.pop("name")
    if problems:  # the rows that did read are checked as a network too: every problem at once
        problems += _network(name, tasks, {k for k, _ in keyed} - {t.key for t in tasks}, source,
                             notes, meta)  # fmt: skip
        raise PlanError(list(dict.fromkeys(problems)))
    return build_baseline(name, tasks, source=source, notes=tuple(notes), **meta)


def _network(
    name: str,
    tasks: list[PlanTask],
    unread: set[str],
    source: str,
    notes: list[str],
    meta: dict[str, Any],
) -> list[str]:
    """The network problems of the rows that read, less those that only say a row that did
    not read is missing (that row's own problem is reported already)."""
    if not tasks:
        return []
    found = network_problems(name, tasks, source=source, notes=tuple(notes), **meta)
    return [p for p in found if not any(_names_missing(p, key) for key in unread)]


def _names_missing(problem: str, key: str) -> bool:
    return f" {key} " in f"{problem} " and ("not in the plan" in problem or "no task" in problem)


def _collect(problems: list[str], read: Callable[..., _T], *args: Any) -> _T | None:
    """`read(*args)`, or None with its PlanError's problems added to `problems`."""
    try:
        return read(*args)
    except PlanError as exc:
        problems += exc.problems
        return None


def _key_row(row: Row, source: str) -> tuple[str, Row]:
    key = str(row.values.get("key") or row.values.get("wbs") or "").strip()
    if not key:
        raise PlanError(f"{source}: {row.where}: needs a key or a wbs code")
    if not str(row.values.get("name") or "").strip():
        raise PlanError(f"{source}: {row.where} (task {key}): name is empty")
    return key, row


def _parents(keyed: list[tuple[str, Row]]) -> dict[str, str]:
    """Explicit parent column, else the WBS code one level up when such a row exists."""
    by_wbs = {str(r.values.get("wbs") or ""): k for k, r in keyed if r.values.get("wbs")}
    keys = {k for k, _ in keyed}
    parents: dict[str, str] = {}
    for key, row in keyed:
        explicit = str(row.values.get("parent") or "").strip()
        wbs = str(row.values.get("wbs") or "")
        if explicit:
            parents[key] = explicit if explicit in keys else by_wbs.get(explicit, explicit)
        elif "." in wbs and wbs.rsplit(".", 1)[0] in by_wbs:
            parents[key] = by_wbs[wbs.rsplit(".", 1)[0]]
    return parents


def _summary_dates(
    keyed: list[tuple[str, Row]], parents: dict[str, str], source: str, problems: list[str]
) -> dict[str, tuple[date, date]]:
    """Own dates where given; a summary without dates spans its children."""
    spans: dict[str, tuple[date, date]] = {}
    broken: set[str] = set()
    for key, row in keyed:
        where = f"{source}: {row.where} (task {key})"
        before = len(problems)
        start = _collect(problems, to_date, row.values.get("start"), where, "start")
        finish = _collect(problems, to_date, row.values.get("finish"), where, "finish")
        if start and finish and finish < start:
            problems.append(f"{where}: finish {finish} is before start {start}")
            spans[key] = (finish, start)  # refused above; kept so the network is checked too
        elif start and finish:
            spans[key] = (start, finish)
        if len(problems) > before:
            broken.add(key)
    return _fill_spans(keyed, parents, spans, source, problems, broken)


def _bottom_up(keys: list[str], parents: dict[str, str]) -> list[str]:
    def depth(key: str) -> int:
        seen = 0
        while key in parents and seen <= len(keys):
            key, seen = parents[key], seen + 1
        return seen

    return sorted(keys, key=depth, reverse=True)


def _fill_spans(
    keyed: list[tuple[str, Row]],
    parents: dict[str, str],
    spans: dict[str, tuple[date, date]],
    source: str,
    problems: list[str],
    broken: set[str],
) -> dict[str, tuple[date, date]]:
    own = dict(spans)
    rows = dict(keyed)
    derived: dict[str, tuple[date, date]] = {}
    for key in _bottom_up(list(rows), parents):
        span = own.get(key) or derived.get(key)
        parent = parents.get(key)
        if span is None:
            if key not in broken:  # a row whose dates did not read is already reported
                row = rows[key]
                problems.append(f"{source}: {row.where} (task {key}): needs start and finish dates")
            continue
        if parent is not None and parent not in own:
            old = derived.get(parent, span)
            derived[parent] = (min(old[0], span[0]), max(old[1], span[1]))
    return own | derived


def _task(
    row: Row,
    key: str,
    parent: str | None,
    dates: dict[str, tuple[date, date]],
    meta: dict[str, Any],
    cal: WorkCalendar,
    notes: list[str],
    source: str,
    summary: bool,
) -> PlanTask:
    where = f"{source}: {row.where} (task {key})"
    v = row.values
    start, finish = dates[key]
    budget = to_budget(v.get("budget"), where)
    flag = to_bool(v.get("milestone"), where, "milestone")
    milestone = flag if flag is not None else (start == finish and budget == 0)
    if budget is None and summary:
        budget = 0.0
    elif budget is None:
        budget = _default_budget(milestone, cal.duration(start, finish), meta, where, notes)
    return PlanTask(
        key=key,
        name=str(v["name"]).strip(),
        start=start,
        finish=finish,
        wbs=str(v.get("wbs") or "").strip(),
        parent=parent,
        budget=budget,
        milestone=milestone,
        summary=summary,
        deadline=to_date(v.get("deadline"), where, "deadline"),
        dependencies=_deps(v.get("predecessors"), where),
        tracker_refs=to_refs(v.get("tracker_refs")),
    )


def _default_budget(
    milestone: bool, days: int, meta: dict[str, Any], where: str, notes: list[str]
) -> float:
    if milestone:
        return 0.0
    if meta.get("unit", "hours") == "money":
        raise PlanError(f"{where}: budget is required when budgets are money")
    notes.append(f"{where}: no budget; {days} working days × {HOURS_PER_DAY:g} h assumed")
    return days * HOURS_PER_DAY
