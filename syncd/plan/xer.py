"""Primavera P6 XER into a Baseline (docs/plan-math.md §1.2).

XER is a tab-separated dump of P6 tables in Windows-1252. It carries **planned (target)
dates, not baselines**: `target_start_date`/`target_end_date` stand in for the baseline, as
MPXJ does, and the Baseline says so in its notes. Keys are activity ids (`task_code`); WBS
nodes become summary tasks keyed ``wbs:<path>``.
"""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date, datetime, timedelta
from pathlib import Path

from syncd.errors import PlanError
from syncd.plan.baseline import (
    Baseline,
    Dependency,
    LinkType,
    PlanTask,
    RecordedProgress,
    build_baseline,
)

Table = list[dict[str, str]]
TARGET_NOTE = (
    "XER files carry planned (target) dates, not baselines: target_start_date/target_end_date "
    "are used as the baseline; import the baseline project to compare against a true baseline"
)
_LINKS = {"PR_FS": LinkType.FS, "PR_SS": LinkType.SS, "PR_FF": LinkType.FF, "PR_SF": LinkType.SF}
_NEEDED = ("task_id", "proj_id", "task_code", "task_name", "target_start_date", "target_end_date")
_EXCEL_EPOCH = date(1899, 12, 30)


def load_xer(path: Path) -> Baseline:
    """Read an XER export (the first project in it that is not a baseline copy)."""
    try:
        raw = path.read_bytes()
    except OSError as exc:
        raise PlanError(f"{path.name}: cannot read: {exc}") from None
    return parse_xer(raw, source=path.name)


def decode(raw: bytes, source: str) -> str:
    """cp1252 text; a byte cp1252 does not define is a PlanError with its offset."""
    try:
        return raw.decode("cp1252")
    except UnicodeDecodeError as exc:
        raise PlanError(f"{source}: byte {exc.start}: not Windows-1252 text") from None


def read_tables(text: str, source: str) -> tuple[list[str], dict[str, Table]]:
    """The ERMHDR fields and every %T table as rows of field → value."""
    lines = text.splitlines()
    if not lines or not lines[0].startswith("ERMHDR"):
        raise PlanError(f"{source}: line 1: not an XER file (no ERMHDR header)")
    tables: dict[str, Table] = {}
    fields: list[str] | None = None
    rows: Table = []
    for number, line in enumerate(lines[1:], start=2):
        kind, _, rest = line.partition("\t")
        if kind == "%T":
            rows, fields = tables.setdefault(rest.strip(), []), None
        elif kind == "%F":
            fields = rest.split("\t")
        elif kind == "%R":
            rows.append(_row(fields, rest.split("\t"), source, number))
        elif kind not in ("%E", ""):
            raise PlanError(f"{source}: line {number}: not an XER record (%T, %F, %R or %E)")
    return lines[0].split("\t"), tables


def _row(fields: list[str] | None, values: list[str], source: str, number: int) -> dict[str, str]:
    if fields is None:
        raise PlanError(f"{source}: line {number}: %R row before its %F field list")
    if len(values) > len(fields):
        raise PlanError(f"{source}: line {number}: {len(values)} values for {len(fields)} fields")
    return dict(zip(fields, values, strict=False))


def parse_xer(raw: bytes, *, source: str) -> Baseline:
    """A Baseline from XER bytes; PlanError names the file, line or activity and problem."""
    header, tables = read_tables(decode(raw, source), source)
    project = _project(tables, source)
    pid = project["proj_id"]
    rows = [r for r in tables.get("TASK", []) if r.get("proj_id") == pid]
    if not rows:
        raise PlanError(f"{source}: project {project.get('proj_short_name')} has no TASK rows")
    missing = [f for f in _NEEDED if f not in rows[0]]
    if missing:
        raise PlanError(f"{source}: TASK table lacks columns {missing}")
    notes = [TARGET_NOTE]
    own = sorted(
        {r["task_code"] for r in rows if r.get("clndr_id") not in ("", project.get("clndr_id"))}
    )
    if own and project.get("clndr_id"):
        notes.append(
            f"{source}: {len(own)} activit(ies) ({', '.join(own[:5])}"
            f"{' …' if len(own) > 5 else ''}) carry a calendar other than the project's; "
            "syncd schedules every activity on the project calendar"
        )
    hours_per_day, holidays = _calendar(tables, project.get("clndr_id", ""))
    wbs = _wbs_paths(tables, pid)
    tasks = [_activity(r, source, hours_per_day, wbs) for r in rows]
    tasks = _with_links(tasks, rows, tables, hours_per_day, notes, source)
    tasks = _budgets(tasks, rows, hours_per_day, notes)
    status = _when(project.get("last_recalc_date", ""), source, "last_recalc_date")
    return build_baseline(
        project.get("proj_short_name") or Path(source).stem,
        _summaries(tasks, wbs) + tasks,
        version="target",
        label="P6 planned (target) dates",
        unit="hours",
        currency=header[-1].strip() if len(header) > 1 else "",
        source=source,
        format="xer",
        status_date=status.date() if status else None,
        holidays=holidays,
        notes=tuple(notes),
    )


def _project(tables: dict[str, Table], source: str) -> dict[str, str]:
    projects = tables.get("PROJECT", [])
    if not projects:
        raise PlanError(f"{source}: no PROJECT table")
    real = [p for p in projects if p.get("project_flag", "Y") == "Y"]
    return (real or projects)[0]


def _when(value: str, source: str, what: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        return datetime.strptime(value.strip(), "%Y-%m-%d %H:%M")  # noqa: DTZ007 - P6 local time
    except ValueError:
        raise PlanError(f"{source}: {what}: {value!r} is not 'YYYY-MM-DD HH:MM'") from None


def _day(value: str, source: str, what: str, *, finish: bool = False) -> date | None:
    moment = _when(value, source, what)
    if moment is None:
        return None
    if finish and moment.hour == 0 and moment.minute == 0:
        return moment.date() - timedelta(days=1)
    return moment.date()


def _number(row: dict[str, str], name: str) -> float:
    try:
        return float(row.get(name) or 0.0)
    except ValueError:
        return 0.0


def _activity(row: dict[str, str], source: str, hpd: float, wbs: dict[str, str]) -> PlanTask:
    code = row["task_code"]
    where = f"{source}: activity {code}"
    start = _day(row["target_start_date"], where, "target_start_date")
    finish = _day(row["target_end_date"], where, "target_end_date", finish=True)
    if start is None or finish is None:
        raise PlanError(f"{where} ({row['task_name']}): no target start or finish date")
    milestone = row.get("task_type") in ("TT_Mile", "TT_FinMile")
    node = wbs.get(row.get("wbs_id", ""))
    return PlanTask(
        key=code,
        name=row["task_name"],
        start=finish if milestone else start,
        finish=max(finish, start) if not milestone else finish,
        parent=None if node is None else f"wbs:{node}",
        milestone=milestone,
        progress=_progress(row, where, hpd),
    )


def _progress(row: dict[str, str], where: str, hpd: float) -> RecordedProgress:
    kind = row.get("complete_pct_type", "CP_Drtn")
    planned, remaining = _number(row, "target_drtn_hr_cnt"), _number(row, "remain_drtn_hr_cnt")
    if row.get("status_code") == "TK_Complete":
        pct = 1.0
    elif kind == "CP_Phys":
        pct = _number(row, "phys_complete_pct") / 100.0
    elif kind == "CP_Units":
        done, left = _number(row, "act_work_qty"), _number(row, "remain_work_qty")
        pct = done / (done + left) if done + left > 0 else 0.0
    else:
        pct = (planned - remaining) / planned if planned > 0 else 0.0
    return RecordedProgress(
        percent_complete=pct,
        actual_start=_day(row.get("act_start_date", ""), where, "act_start_date"),
        actual_finish=_day(row.get("act_end_date", ""), where, "act_end_date", finish=True),
        current_start=_day(row.get("early_start_date", ""), where, "early_start_date"),
        current_finish=_day(row.get("early_end_date", ""), where, "early_end_date", finish=True),
        remaining_days=remaining / hpd,
    )


def _with_links(
    tasks: list[PlanTask],
    rows: Table,
    tables: dict[str, Table],
    hpd: float,
    notes: list[str],
    source: str,
) -> list[PlanTask]:
    codes = {r["task_id"]: r["task_code"] for r in rows}
    if "TASKPRED" not in tables:
        notes.append(f"{source}: no TASKPRED table: the plan has no dependencies")
    deps: dict[str, list[Dependency]] = {}
    for link in tables.get("TASKPRED", []):
        succ, pred = codes.get(link.get("task_id", "")), codes.get(link.get("pred_task_id", ""))
        if succ is None or pred is None:
            notes.append(f"{source}: link {link.get('task_pred_id')} leaves the project; skipped")
            continue
        kind = _LINKS.get(link.get("pred_type", "PR_FS"), LinkType.FS)
        deps.setdefault(succ, []).append(Dependency(pred, kind, _number(link, "lag_hr_cnt") / hpd))
    return [replace(t, dependencies=tuple(deps.get(t.key, ()))) for t in tasks]


def _budgets(tasks: list[PlanTask], rows: Table, hpd: float, notes: list[str]) -> list[PlanTask]:
    """Planned labour units when any activity has them, else planned duration in hours."""
    work = {r["task_code"]: _number(r, "target_work_qty") for r in rows}
    if not any(work.values()):
        work = {r["task_code"]: _number(r, "target_drtn_hr_cnt") for r in rows}
        notes.append("no activity carries planned units; budgets are planned durations in hours")
    return [replace(t, budget=0.0 if t.milestone else work[t.key]) for t in tasks]


def _calendar(tables: dict[str, Table], clndr_id: str) -> tuple[float, tuple[date, ...]]:
    """Hours per day and non-working exception days of the project calendar."""
    for cal in tables.get("CALENDAR", []):
        if cal.get("clndr_id") == clndr_id:
            days = re.findall(r"\(d\|(\d+)\)\(\s*\)", cal.get("clndr_data", ""))
            holidays = sorted({_EXCEL_EPOCH + timedelta(days=int(d)) for d in days})
            return _number(cal, "day_hr_cnt") or 8.0, tuple(holidays)
    return 8.0, ()


def _wbs_paths(tables: dict[str, Table], pid: str) -> dict[str, str]:
    """wbs_id → dotted short-name path below the project node (the node itself is left out)."""
    nodes = {n["wbs_id"]: n for n in tables.get("PROJWBS", []) if n.get("proj_id") == pid}
    paths: dict[str, str] = {}
    for wbs_id in nodes:
        parts, cur, guard = [], nodes.get(wbs_id), 0
        while cur is not None and cur.get("proj_node_flag") != "Y" and guard < 50:
            parts.append(cur.get("wbs_short_name", cur["wbs_id"]))
            cur, guard = nodes.get(cur.get("parent_wbs_id", "")), guard + 1
        if parts:
            paths[wbs_id] = ".".join(reversed(parts))
    return paths


def _summaries(tasks: list[PlanTask], wbs: dict[str, str]) -> list[PlanTask]:
    """A summary task per WBS node that holds activities, spanning them."""
    spans: dict[str, tuple[date, date]] = {}
    for task in tasks:
        path = task.parent[4:] if task.parent else ""
        while path:
            old = spans.get(path, (task.start, task.finish))
            spans[path] = (min(old[0], task.start), max(old[1], task.finish))
            path = path.rsplit(".", 1)[0] if "." in path else ""
    return [
        PlanTask(
            key=f"wbs:{path}",
            name=path,
            start=first,
            finish=last,
            wbs=path,
            parent=f"wbs:{path.rsplit('.', 1)[0]}" if "." in path else None,
            summary=True,
        )
        for path, (first, last) in sorted(spans.items())
    ]
