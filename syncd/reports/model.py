"""The consolidated status of one client on one status date, as frozen values.

`build.build_status` makes a `Status`; every rendering (HTML, Markdown, JSON, CSV, push bodies,
the dashboard) reads only these values, so they all show the same figures. Dates are status
dates in the client's calendar; datetimes are aware UTC; money and hours are floats in `unit`.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Literal

from syncd.mapping.config import AcceptanceConfig, Registers, Thresholds
from syncd.model import Problem
from syncd.plan import quality
from syncd.plan.quality import DataWarning
from syncd.plan.rag import Rag, RagStatus


@dataclass(frozen=True, slots=True)
class SourceInfo:
    """One configured connector of a client: its id, kind and the site it reads."""

    id: str
    kind: str  # a name in `connectors.registry.KINDS`, or "" (unknown: only seen in the store)
    url: str = ""


@dataclass(frozen=True, slots=True)
class ClientInfo:
    """What a report needs to know about a client beyond its snapshot."""

    id: str
    name: str
    timezone: str = "UTC"
    sources: tuple[SourceInfo, ...] = ()
    poll_minutes: float = 15
    cron: str | None = None  # when set, pulls follow it instead of poll_minutes
    dashboard_url: str = ""
    problems: tuple[str, ...] = ()  # why its config file cannot be loaded (`file › message`)
    registers: Registers = field(default_factory=Registers)  # which items are risks, issues…
    acceptance: AcceptanceConfig = field(default_factory=AcceptanceConfig)
    thresholds: Thresholds = field(default_factory=Thresholds)  # its red/amber/green limits
    owner: str = ""  # who looks after it (the client file's `owner`)
    tags: tuple[str, ...] = ()  # the client file's `tags`, for filtering the overview


@dataclass(frozen=True, slots=True)
class Figures:
    """Project-level earned value and earned schedule, in the baseline's unit."""

    unit: str
    currency: str
    bac: float
    pv: float
    ev: float
    ac: float | None
    sv: float
    spi: float | None
    cpi: float | None
    spi_t: float | None
    sv_t_days: float | None
    percent_complete: float | None  # EV / BAC, 0..1
    percent_planned: float | None  # PV / BAC, 0..1


@dataclass(frozen=True, slots=True)
class Forecast:
    """When the project finishes: the baseline, and two labelled forecasts."""

    baseline_finish: date | None
    es_finish: date | None  # earned schedule: the past pace continues
    cpm_finish: date | None  # CPM from the status date: remaining work runs to plan
    es_slip_days: float | None
    cpm_slip_days: float | None


@dataclass(frozen=True, slots=True)
class Milestone:
    """A plan milestone: baseline vs forecast, and the chain of tasks that drives it."""

    key: str
    name: str
    baseline: date
    forecast: date | None
    deadline: date | None
    slip_days: float
    at_risk: bool
    done: bool
    driving_path: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Driver:
    """What sets a task's forecast: `kind` (actual, in_progress, link, baseline_start,
    status_date), the predecessor of a driving link, and the link as people write it."""

    kind: str
    task: str | None = None  # predecessor key
    link: str = ""  # "FS", "SS+2d", ...
    text: str = ""  # "1.4 Subtask 4 (FS)", "in progress from the status date", ...


@dataclass(frozen=True, slots=True)
class TaskRow:
    """One leaf task of the plan with its figures: a row of the variance table."""

    key: str
    wbs: str
    name: str
    milestone: bool
    baseline_start: date
    baseline_finish: date
    forecast_start: date | None
    forecast_finish: date | None
    budget: float
    pv: float
    ev: float
    sv: float
    spi: float | None
    percent_complete: float  # 0..1
    percent_planned: float  # 0..1
    slip_days: float
    critical: bool
    status: str = ""  # todo | in_progress | done, as reconcile saw it
    items: int = 0
    baseline_total_float: float | None = None  # working days, the baseline network as planned
    baseline_free_float: float | None = None
    baseline_critical: bool = False
    total_float: float | None = None  # working days, the re-forecast network (None: done)
    free_float: float | None = None
    driver: Driver | None = None

    @property
    def label(self) -> str:
        """``"1.2 Build"``: WBS code and name, as people quote a task."""
        return f"{self.wbs} {self.name}" if self.wbs else self.name

    @property
    def behind(self) -> bool:
        """Behind plan: less earned than planned, or forecast to finish late."""
        return self.sv < -1e-9 or self.slip_days > 1e-9

    @property
    def done(self) -> bool:
        return self.status == "done" or self.percent_complete >= 1.0 - 1e-9


@dataclass(frozen=True, slots=True)
class ItemRef:
    """A tracker item as a report shows it, with a link back to Jira or Trello."""

    source: str
    key: str
    title: str
    url: str
    type: str
    status: str
    category: str
    assignee: str | None = None
    due: date | None = None
    resolved: date | None = None
    story_points: float | None = None
    estimate_hours: float | None = None
    plan_task: str | None = None
    labels: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class Unplanned:
    """Work in the trackers that matches no plan task: scope growth, never silently dropped."""

    items: tuple[ItemRef, ...]
    count: int
    points: float
    hours: float
    growth: float | None  # unplanned items / planned items


@dataclass(frozen=True, slots=True)
class SourceProgress:
    """Items of one connector by status category, and when it was last pulled successfully."""

    source: str
    kind: str
    total: int
    done: int
    in_progress: int
    todo: int
    last_success: datetime | None
    stale: bool


@dataclass(frozen=True, slots=True)
class Risk:
    """A risk or issue raised in a tracker, with its owner and due date."""

    kind: Literal["risk", "issue", "decision", "action", "lesson"]
    item: ItemRef
    overdue: bool
    owner: str | None = None
    probability: int | None = None  # 1-5, from the custom field `[registers]` names
    impact: int | None = None  # 1-5
    opened: date | None = None
    age_days: int | None = None


@dataclass(frozen=True, slots=True)
class Acceptance:
    """A milestone's formal acceptance: its criteria, and whether a tracker item recorded it.

    state: ``accepted`` (the recording item is done, or a linked item carries the label),
    ``awaiting`` (the milestone is reached, acceptance is not recorded), ``open`` (not reached).
    """

    key: str
    name: str
    criteria: tuple[str, ...]
    state: Literal["accepted", "awaiting", "open"]
    evidence: str | None = None  # the item key that recorded it


@dataclass(frozen=True, slots=True)
class Change:
    """What moved since the previous report."""

    since: date
    previous_as_of: date | None = None
    tasks_completed: tuple[TaskRow, ...] = ()
    items_completed: tuple[ItemRef, ...] = ()
    ev_delta: float | None = None
    pv_delta: float | None = None
    spi_delta: float | None = None
    previous_rag: Rag | None = None


@dataclass(frozen=True, slots=True)
class CurvePoint:
    """One status date of the S-curve: cumulative PV and EV."""

    as_of: date
    pv: float
    ev: float
    spi: float | None = None
    planned_items: int | None = None  # items linked to the plan (None: not recorded)
    unplanned_items: int | None = None  # items linked to no task: scope growth


@dataclass(frozen=True, slots=True)
class Status:
    """A client's consolidated status for one status date: what every report shows."""

    client: ClientInfo
    as_of: date
    baseline_version: int | None
    baseline_label: str
    rag: RagStatus  # the one reconcile decided, on the client's thresholds
    headline: str
    figures: Figures
    forecast: Forecast
    milestones: tuple[Milestone, ...]
    tasks: tuple[TaskRow, ...]
    critical_path: tuple[str, ...]  # current: the re-forecast network
    unplanned: Unplanned
    sources: tuple[SourceProgress, ...]
    problems: tuple[Problem, ...]
    risks: tuple[Risk, ...]
    change: Change
    curve: tuple[CurvePoint, ...] = ()
    items: tuple[ItemRef, ...] = field(default=(), repr=False)
    baseline_critical_path: tuple[str, ...] = ()  # the baseline network as planned
    warnings: tuple[DataWarning, ...] = ()  # what the figures were computed from is incomplete
    register: tuple[Risk, ...] = field(default=(), repr=False)  # every register entry, done too
    acceptance: tuple[Acceptance, ...] = ()  # milestones with criteria or a recorded acceptance

    def notes(self, figure: str) -> str:
        """What to print next to `figure` (``"points missing"``): empty when nothing doubts it."""
        return quality.notes(self.warnings, figure)

    def withheld(self, figure: str) -> str | None:
        """Why `figure` is not shown (``"AC missing for 7 of 9 items"``); None: show it."""
        return quality.withheld(self.warnings, figure)

    def task_notes(self, key: str) -> str:
        """The notes of the warnings that concern one task's earned value."""
        return "; ".join(
            dict.fromkeys(w.note for w in self.warnings if key in w.tasks and w.touches("ev"))
        )

    def label(self, key: str) -> str:
        """``"1.4 Subtask 4"`` for a task key (the key itself when the plan has no such task)."""
        return next((t.label for t in self.tasks if t.key == key), key)

    def path(self, keys: tuple[str, ...]) -> str:
        """A chain of tasks as people read it: ``1.4 Subtask 4 → 1.5 Subtask 5``."""
        return " → ".join(self.label(k) for k in keys)

    @property
    def behind(self) -> tuple[TaskRow, ...]:
        """Tasks behind plan, worst first (most working days late, then largest shortfall)."""
        rows = [t for t in self.tasks if t.behind and not t.done and not t.milestone]
        return tuple(sorted(rows, key=lambda t: (-t.slip_days, t.sv, t.wbs)))

    @property
    def next_milestones(self) -> tuple[Milestone, ...]:
        """Milestones not yet reached, soonest forecast first."""
        open_ = [m for m in self.milestones if not m.done]
        return tuple(sorted(open_, key=lambda m: (m.forecast or m.baseline, m.key)))
