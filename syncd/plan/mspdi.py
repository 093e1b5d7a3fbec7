"""Placeholder: the mspdi importer lands in the next commit."""

from __future__ import annotations

from pathlib import Path

from syncd.errors import PlanError
from syncd.plan.baseline import Baseline


def load_mspdi(path: Path, *, baseline_number: int | None = None) -> Baseline:
    """Not yet implemented."""
    raise PlanError(f"{path.name}: mspdi import is not implemented yet")
