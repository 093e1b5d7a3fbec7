"""What spans connectors: status categories, progress measures, and plan-task linking.

Pure functions over `WorkItem` values; imports nothing of syncd but `model` and `errors`.
"""

from syncd.mapping.config import (
    CalendarConfig,
    LinkRule,
    MappingConfig,
    ProgressConfig,
    Thresholds,
)
from syncd.mapping.linking import LinkResult, link_items
from syncd.mapping.progress import TaskProgress, measure_task
from syncd.mapping.status import StatusMap, apply_all, apply_statuses, status_map

__all__ = [
    "CalendarConfig",
    "LinkResult",
    "LinkRule",
    "MappingConfig",
    "ProgressConfig",
    "StatusMap",
    "TaskProgress",
    "Thresholds",
    "apply_all",
    "apply_statuses",
    "link_items",
    "measure_task",
    "status_map",
]
