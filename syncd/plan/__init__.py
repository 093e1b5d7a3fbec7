"""Baseline plans and the math that reconciles them with tracker reality.

Imports nothing of syncd but `model`, `errors` and (for `reconcile`) `mapping`.
"""

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
from syncd.plan.loader import load_plan

__all__ = [
    "Baseline",
    "Dependency",
    "LinkType",
    "Performance",
    "PlanTask",
    "RecordedProgress",
    "WorkCalendar",
    "build_baseline",
    "load_plan",
    "measure",
]
