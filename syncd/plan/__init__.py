"""Baseline plans and the math that reconciles them with tracker reality.

Imports nothing of syncd but `model`, `errors` and (for `reconcile`) the sibling `mapping`.

    load_plan(path, *, baseline_number=None, fmt=None) -> Baseline
    reconcile(baseline, items, *, as_of, config=None) -> Reconciliation
"""

from pathlib import Path

from syncd.plan.baseline import (
    Baseline,
    Dependency,
    LinkType,
    PlanTask,
    RecordedProgress,
    build_baseline,
)
from syncd.plan.calendar import WorkCalendar
from syncd.plan.evm import Performance, measure
from syncd.plan.forecast import Actuals, Forecast, forecast, recorded_actuals
from syncd.plan.loader import load_plan
from syncd.plan.mspdi import CURRENT_SCHEDULE
from syncd.plan.rag import Rag, RagStatus
from syncd.plan.reconcile import calendar_for, reconcile
from syncd.plan.result import (
    BaselineRef,
    MilestoneStatus,
    Reconciliation,
    ScheduleForecast,
    TaskStatus,
    Unplanned,
)
from syncd.plan.schedule import EarnedSchedule

DEMO_PLAN = Path(__file__).with_name("demo_plan.toml")

__all__ = [
    "CURRENT_SCHEDULE",
    "DEMO_PLAN",
    "Actuals",
    "Baseline",
    "BaselineRef",
    "Dependency",
    "EarnedSchedule",
    "Forecast",
    "LinkType",
    "MilestoneStatus",
    "Performance",
    "PlanTask",
    "Rag",
    "RagStatus",
    "Reconciliation",
    "RecordedProgress",
    "ScheduleForecast",
    "TaskStatus",
    "Unplanned",
    "WorkCalendar",
    "build_baseline",
    "calendar_for",
    "forecast",
    "load_plan",
    "measure",
    "reconcile",
    "recorded_actuals",
]
