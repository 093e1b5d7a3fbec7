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

__all__ = ["CalendarConfig", "LinkRule", "MappingConfig", "ProgressConfig", "Thresholds"]
