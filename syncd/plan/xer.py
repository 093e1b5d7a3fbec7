"""Placeholder: the xer importer lands in the next commit."""

from __future__ import annotations

from pathlib import Path

from syncd.errors import PlanError
from syncd.plan.baseline import Baseline


def load_xer(path: Path) -> Baseline:
    """Not yet implemented."""
    raise PlanError(f"{path.name}: xer import is not implemented yet")
