"""One entry point for every plan format, chosen by file extension or by name."""

from __future__ import annotations

from pathlib import Path

from syncd.errors import PlanError
from syncd.plan.baseline import Baseline

MAX_BYTES = 50_000_000  # far beyond a 10,000-task plan; refuses hostile or broken files early

FORMATS = {
    ".toml": "toml",
    ".csv": "csv",
    ".xml": "mspdi",
    ".xer": "xer",
    ".mpp": "mpp",
}


def load_plan(
    path: str | Path, *, baseline_number: int | None = None, fmt: str | None = None
) -> Baseline:
    """Read a plan file into a complete Baseline, or raise PlanError; never half of one.

    `baseline_number` picks an MS Project baseline (0-10; default: the file's
    BaselineForEarnedValue, else 0); `CURRENT_SCHEDULE` (-1) takes the current schedule instead.
    """
    path = Path(path)
    kind = fmt or FORMATS.get(path.suffix.lower())
    if kind is None:
        known = ", ".join(sorted(FORMATS))
        raise PlanError(f"{path.name}: unknown plan format {path.suffix!r} (known: {known})")
    if not path.is_file():
        raise PlanError(f"{path.name}: no such file")
    size = path.stat().st_size
    if size > MAX_BYTES:
        raise PlanError(
            f"{path.name}: {size / 1e6:.0f} MB is larger than any plan syncd reads"
            f" ({MAX_BYTES / 1e6:.0f} MB at most)"
        )
    if baseline_number is not None and kind not in ("mspdi", "mpp"):
        raise PlanError(f"{path.name}: baseline numbers apply to MS Project files only")
    return _load(kind, path, baseline_number)


def _load(kind: str, path: Path, baseline_number: int | None) -> Baseline:
    if kind == "toml":
        from syncd.plan.toml_csv import load_toml

        return load_toml(path)
    if kind == "csv":
        from syncd.plan.toml_csv import load_csv

        return load_csv(path)
    if kind == "mspdi":
        from syncd.plan.mspdi import load_mspdi

        return load_mspdi(path, baseline_number=baseline_number)
    if kind == "xer":
        from syncd.plan.xer import load_xer

        return load_xer(path)
    if kind == "mpp":
        from syncd.plan.mpp import load_mpp

        return load_mpp(path, baseline_number=baseline_number)
    raise PlanError(f"{path.name}: unknown plan format {kind!r}")
