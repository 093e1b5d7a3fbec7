"""What a reconciliation produces: frozen values with a JSON form for per-date snapshots."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from syncd.mapping.linking import LinkResult
from syncd.plan import codec, quality
from syncd.plan.evm import Performance
from syncd.plan.forecast import Driver
from syncd.plan.quality import DataWarning, stored
from syncd.plan.rag import RagStatus
from syncd.plan.schedule import EarnedSchedule


@dataclass(frozen=True, slots=True)
class BaselineRef:
    """Which baseline a result was computed against."""

    name: str
    version: str
    label: str
    digest: str
    source: str
    baseline_number: int | None
    unit: str
    currency: str


@dataclass(frozen=True, slots=True)
class TaskStatus:
    """One plan task (leaf or summary roll-up) at the status date."""

    key: str
    name: str
    wbs: str
    parent: str | None
    summary: bool
    milestone: bool
    status: str  # todo | in_progress | done
    technique: str | None  # leaves only
    items: int
    performance: Performance
    baseline_start: date
    baseline_finish: date
    forecast_start: date
    forecast_finish: date
    slip_days: float  # CPM forecast finish minus baseline finish, working days
    total_float: float | None  # re-forecast network, working days; None when done
    critical: bool  # on the re-forecast network
    rag: RagStatus
    free_float: float | None = None  # re-forecast network; None when done or a summary
    baseline_total_float: float | None = None  # the baseline network as planned
    baseline_free_float: float | None = None  # None for a summary
    baseline_critical: bool = False
    driver: Driver | None = None  # what sets the forecast (leaves only)


@dataclass(frozen=True, slots=True)
class MilestoneStatus:
    """A milestone's forecast against its baseline and deadline, and what drives it."""

    key: str
    name: str
    baseline_finish: date
    forecast_finish: date
    deadline: date | None
    slip_days: float
    deadline_slip_days: float | None
    at_risk: bool
    driving_path: tuple[str, ...]
    rag: RagStatus


@dataclass(frozen=True, slots=True)
class Unplanned:
    """Items linked to no plan task: scope growth, reported and never folded into BAC."""

    items: int
    points: float
    estimate_hours: float
    spent_hours: float
    planned_items: int
    growth_items: float | None  # unplanned items / planned items
    growth_points: float | None  # unplanned points / planned points
    cpi_with_unplanned: float | None  # EV / (AC + unplanned spent)
    keys: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class ScheduleForecast:
    """Both finish forecasts, labelled: earned schedule (past pace) and CPM (plan rate)."""

    baseline_finish: date
    cpm_finish: date
    cpm_slip_days: float
    es_finish: date | None
    es_duration_days: float | None
    es_slip_days: float | None = None  # IEAC(t) minus planned duration, working days
    cpm_label: str = "CPM re-forecast: remaining work at the planned rate from the status date"
    es_label: str = "Earned schedule IEAC(t): the past pace continues"


@dataclass(frozen=True, slots=True)
class Reconciliation:
    """Plan against reality on one status date, per task, rolled up, and for the client."""

    as_of: date
    baseline: BaselineRef
    project: Performance
    earned_schedule: EarnedSchedule
    forecast: ScheduleForecast
    tasks: tuple[TaskStatus, ...]
    critical_path: tuple[str, ...]  # current: the re-forecast network's longest open path
    milestones: tuple[MilestoneStatus, ...]
    unplanned: Unplanned
    links: tuple[LinkResult, ...]
    rag: RagStatus
    warnings: tuple[DataWarning, ...] = ()  # what the figures were computed from is incomplete
    baseline_critical_path: tuple[str, ...] = ()  # the baseline network as planned

    def label(self, key: str) -> str:
        """``"1.4 Subtask 4"``: how people quote a task (its key when unknown)."""
        for status in self.tasks:
            if status.key == key:
                return f"{status.wbs} {status.name}" if status.wbs else status.name
        return key

    def task(self, key: str) -> TaskStatus:
        """The status of one task by key (KeyError if absent)."""
        for status in self.tasks:
            if status.key == key:
                return status
        raise KeyError(key)

    def to_dict(self) -> dict[str, Any]:
        data: dict[str, Any] = codec.dump(self)
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Reconciliation:
        """The reconciliation `to_dict` gave; an older one's bare-string warnings get codes."""
        return codec.load(cls, {**data, "warnings": stored(data.get("warnings", ()))})

    def notes(self, figure: str) -> str:
        """What to print next to `figure` (``"points missing"``): empty when nothing doubts it."""
        return quality.notes(self.warnings, figure)

    def withheld(self, figure: str) -> str | None:
        """Why `figure` is not shown (``"AC missing for 7 of 9 items"``); None: show it."""
        return quality.withheld(self.warnings, figure)
