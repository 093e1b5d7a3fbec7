"""The baseline: a versioned, frozen snapshot of a client's plan, and its JSON form.

Only leaf tasks carry budget; summary tasks are roll-ups and are never summed. Budgets are
floats in the baseline's `unit` (``hours``, or ``money`` in `currency`), never mixed.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, field
from datetime import date
from enum import StrEnum
from math import fsum
from typing import Any, Literal

from syncd.errors import PlanError
from syncd.plan.graph import topological_order

Unit = Literal["hours", "money"]


class LinkType(StrEnum):
    """How a successor hangs on its predecessor: finish-to-start and the other three."""

    FS = "FS"
    SS = "SS"
    FF = "FF"
    SF = "SF"


@dataclass(frozen=True, slots=True)
class Dependency:
    """A link from `predecessor` to the task that holds it; lag in working days (< 0 is lead)."""

    predecessor: str
    type: LinkType = LinkType.FS
    lag_days: float = 0.0


@dataclass(frozen=True, slots=True)
class RecordedProgress:
    """Progress the plan file itself records (MS Project, P6); trackers usually supersede it."""

    percent_complete: float = 0.0  # 0..1
    actual_start: date | None = None
    actual_finish: date | None = None
    current_start: date | None = None
    current_finish: date | None = None
    remaining_days: float | None = None


@dataclass(frozen=True, slots=True)
class PlanTask:
    """One row of the plan. `key` is stable across re-baselining (UID, task_code, key column)."""

    key: str
    name: str
    start: date
    finish: date
    wbs: str = ""
    parent: str | None = None
    budget: float = 0.0
    milestone: bool = False
    summary: bool = False
    deadline: date | None = None
    dependencies: tuple[Dependency, ...] = ()
    tracker_refs: tuple[str, ...] = ()
    progress: RecordedProgress | None = None

    @property
    def label(self) -> str:
        """``"1.1 Discovery"``: WBS code and name, as people quote a task."""
        return f"{self.wbs} {self.name}" if self.wbs else self.name


@dataclass(frozen=True, slots=True)
class Baseline:
    """A complete, validated plan snapshot; construct it through `build_baseline`."""

    name: str
    tasks: tuple[PlanTask, ...]
    version: str = "1"
    label: str = ""
    unit: Unit = "hours"
    currency: str = ""
    source: str = ""
    format: str = ""
    baseline_number: int | None = None
    status_date: date | None = None
    holidays: tuple[date, ...] = ()
    notes: tuple[str, ...] = ()
    _leaves: tuple[PlanTask, ...] = field(init=False, repr=False, compare=False)
    _span: tuple[date, date] | None = field(init=False, repr=False, compare=False)

    def __post_init__(self) -> None:
        leaves = tuple(t for t in self.tasks if not t.summary)
        object.__setattr__(self, "_leaves", leaves)
        span = (min(t.start for t in leaves), max(t.finish for t in leaves)) if leaves else None
        object.__setattr__(self, "_span", span)

    @property
    def leaves(self) -> tuple[PlanTask, ...]:
        """Tasks that carry budget: every task that is not a summary."""
        return self._leaves

    @property
    def bac(self) -> float:
        """Budget at completion: the sum of leaf budgets."""
        return fsum(t.budget for t in self._leaves)

    @property
    def start(self) -> date:
        """The earliest leaf start: the origin of the plan's working-day axis."""
        if self._span is None:
            raise PlanError(f"{self.source or self.name}: the plan has no tasks")
        return self._span[0]

    @property
    def finish(self) -> date:
        """The latest leaf finish."""
        if self._span is None:
            raise PlanError(f"{self.source or self.name}: the plan has no tasks")
        return self._span[1]

    def task_map(self) -> dict[str, PlanTask]:
        """Tasks by key."""
        return {t.key: t for t in self.tasks}

    def digest(self) -> str:
        """A stable short hash of the whole snapshot, to tell two baselines apart."""
        blob = json.dumps(baseline_to_dict(self), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(blob.encode()).hexdigest()[:16]

    def to_dict(self) -> dict[str, Any]:
        return baseline_to_dict(self)

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Baseline:
        return baseline_from_dict(data)


def build_baseline(name: str, tasks: list[PlanTask], **meta: Any) -> Baseline:
    """Mark summaries, check the plan as a whole, and freeze it; PlanError names what is wrong."""
    baseline = _unchecked(name, tasks, **meta)
    validate(baseline)
    return baseline


def network_problems(name: str, tasks: list[PlanTask], **meta: Any) -> list[str]:
    """What `build_baseline` would refuse in these tasks (for a reader that already found
    problems in some rows and reports the rest of the plan's at the same time)."""
    return plan_problems(_unchecked(name, tasks, **meta))


def _unchecked(name: str, tasks: list[PlanTask], **meta: Any) -> Baseline:
    parents = {t.parent for t in tasks if t.parent is not None}
    marked = [_replace_summary(t, t.summary or t.key in parents) for t in tasks]
    return Baseline(name=name, tasks=tuple(marked), **meta)


def _replace_summary(task: PlanTask, summary: bool) -> PlanTask:
    if task.summary == summary:
        return task
    from dataclasses import replace

    return replace(task, summary=summary)


def validate(baseline: Baseline) -> None:
    """Raise one PlanError listing every duplicate key, dangling reference, bad date or budget
    and loop; nothing of a plan with any of them is imported."""
    problems = plan_problems(baseline)
    if problems:
        raise PlanError(problems)


def plan_problems(baseline: Baseline) -> list[str]:
    """Every problem that makes `baseline` unusable, each as ``source: task …: message``."""
    where = baseline.source or baseline.name
    keys: set[str] = set()
    problems: list[str] = []
    for task in baseline.tasks:
        if task.key in keys:
            problems.append(f"{where}: task {task.key}: duplicate key")
        keys.add(task.key)
    for task in baseline.tasks:
        problems += [f"{where}: {task_name(task)}: {p}" for p in _task_problems(task, keys)]
    if not baseline.leaves:
        problems.append(f"{where}: the plan has no tasks")
    if baseline.unit == "money" and not baseline.currency:
        problems.append(f"{where}: budgets are money but no currency is stated")
    if problems and not _orderable(baseline, keys):
        return problems  # a graph with dangling ends or twice-used keys cannot be ordered
    keys_in_order = [t.key for t in baseline.tasks]
    edges = [(d.predecessor, t.key) for t in baseline.tasks for d in t.dependencies]
    outline = [(t.parent, t.key) for t in baseline.tasks if t.parent is not None]
    for graph in (edges, outline):
        try:
            topological_order(keys_in_order, graph)
        except PlanError as exc:
            problems.append(f"{where}: {exc}")
    return problems


def _orderable(baseline: Baseline, keys: set[str]) -> bool:
    tasks = baseline.tasks
    return (
        len(keys) == len(tasks)
        and all(t.parent is None or t.parent in keys for t in tasks)
        and all(d.predecessor in keys for t in tasks for d in t.dependencies)
    )


def task_name(task: PlanTask) -> str:
    """``task 7 (1.2 Build)``: the key, and the WBS code where it differs, with the name."""
    label = task.name if task.wbs in ("", task.key) else task.label
    return f"task {task.key} ({label})"


def _task_problems(task: PlanTask, keys: set[str]) -> list[str]:
    problems = []
    if task.finish < task.start:
        problems.append(f"finish {task.finish} is before start {task.start}")
    if task.budget < 0:
        problems.append(f"budget {task.budget} is negative")
    if task.parent is not None and task.parent not in keys:
        problems.append(f"parent {task.parent} is not in the plan")
    problems += [
        f"predecessor {dep.predecessor} is not in the plan"
        for dep in task.dependencies
        if dep.predecessor not in keys
    ]
    return problems


# --- JSON form -------------------------------------------------------------------------------


def _date(value: Any) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _iso(value: date | None) -> str | None:
    return None if value is None else value.isoformat()


def _progress_to_dict(p: RecordedProgress) -> dict[str, Any]:
    return {
        "percent_complete": p.percent_complete,
        "actual_start": _iso(p.actual_start),
        "actual_finish": _iso(p.actual_finish),
        "current_start": _iso(p.current_start),
        "current_finish": _iso(p.current_finish),
        "remaining_days": p.remaining_days,
    }


def _progress_from_dict(d: dict[str, Any]) -> RecordedProgress:
    return RecordedProgress(
        percent_complete=float(d["percent_complete"]),
        actual_start=_date(d.get("actual_start")),
        actual_finish=_date(d.get("actual_finish")),
        current_start=_date(d.get("current_start")),
        current_finish=_date(d.get("current_finish")),
        remaining_days=d.get("remaining_days"),
    )


def task_to_dict(t: PlanTask) -> dict[str, Any]:
    """A JSON-ready dict of one task."""
    return {
        "key": t.key,
        "name": t.name,
        "start": t.start.isoformat(),
        "finish": t.finish.isoformat(),
        "wbs": t.wbs,
        "parent": t.parent,
        "budget": t.budget,
        "milestone": t.milestone,
        "summary": t.summary,
        "deadline": _iso(t.deadline),
        "dependencies": [[d.predecessor, str(d.type), d.lag_days] for d in t.dependencies],
        "tracker_refs": list(t.tracker_refs),
        "progress": None if t.progress is None else _progress_to_dict(t.progress),
    }


def task_from_dict(d: dict[str, Any]) -> PlanTask:
    """The inverse of `task_to_dict`."""
    deps = tuple(Dependency(p, LinkType(k), float(lag)) for p, k, lag in d["dependencies"])
    progress = d.get("progress")
    return PlanTask(
        key=d["key"],
        name=d["name"],
        start=date.fromisoformat(d["start"]),
        finish=date.fromisoformat(d["finish"]),
        wbs=d.get("wbs", ""),
        parent=d.get("parent"),
        budget=float(d.get("budget", 0.0)),
        milestone=bool(d.get("milestone", False)),
        summary=bool(d.get("summary", False)),
        deadline=_date(d.get("deadline")),
        dependencies=deps,
        tracker_refs=tuple(d.get("tracker_refs", ())),
        progress=None if progress is None else _progress_from_dict(progress),
    )


_META = ("version", "label", "unit", "currency", "source", "format", "baseline_number")


def baseline_to_dict(b: Baseline) -> dict[str, Any]:
    """A JSON-ready dict of the whole baseline."""
    data: dict[str, Any] = {"name": b.name, **{k: getattr(b, k) for k in _META}}
    data["status_date"] = _iso(b.status_date)
    data["holidays"] = [h.isoformat() for h in b.holidays]
    data["notes"] = list(b.notes)
    data["tasks"] = [task_to_dict(t) for t in b.tasks]
    return data


def baseline_from_dict(data: dict[str, Any]) -> Baseline:
    """The inverse of `baseline_to_dict`."""
    return Baseline(
        name=data["name"],
        tasks=tuple(task_from_dict(t) for t in data["tasks"]),
        **{k: data[k] for k in _META if k in data},
        status_date=_date(data.get("status_date")),
        holidays=tuple(date.fromisoformat(h) for h in data.get("holidays", ())),
        notes=tuple(data.get("notes", ())),
    )
