"""A reconciliation as stored for its status date, with the baseline it was measured against.

Stored as ``{"schema": 2, "reconciliation": Reconciliation.to_dict(), "baseline": {"version":
n, "label": "..."}}`` and read back into the same frozen values. Schema 1 is what syncd stored
before it wrote a version: the same shape without the ``"schema"`` key, its warnings possibly
bare strings and its newer fields missing (`Reconciliation.from_dict` gives the strings their
codes; a missing field takes its default). A later change of shape raises `SCHEMA` and reads
the versions before it here, so the snapshots a syncd already stored keep reading.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import date
from typing import Any

from syncd.plan import codec
from syncd.plan.evm import Performance
from syncd.plan.result import Reconciliation, Unplanned

SCHEMA = 2


class SnapshotSchemaError(ValueError):
    """A snapshot stored by a newer syncd, in a shape this one does not know."""


@dataclass(frozen=True, slots=True)
class StatusSnapshot:
    """One status date's reconciliation and the stored baseline version and label behind it."""

    reconciliation: Reconciliation
    baseline_version: int | None = None
    baseline_label: str = ""

    @property
    def as_of(self) -> date:
        return self.reconciliation.as_of

    def to_dict(self) -> dict[str, Any]:
        return {
            "schema": SCHEMA,
            "reconciliation": self.reconciliation.to_dict(),
            "baseline": {"version": self.baseline_version, "label": self.baseline_label},
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> StatusSnapshot:
        """The snapshot `to_dict` gave, or one stored in an older schema."""
        _readable(data.get("schema", 1))
        meta = data.get("baseline") or {}
        version = meta.get("version")
        return cls(
            reconciliation=Reconciliation.from_dict(dict(data["reconciliation"])),
            baseline_version=version if isinstance(version, int) else None,
            baseline_label=str(meta.get("label") or ""),
        )


def _readable(schema: Any) -> None:
    if not isinstance(schema, int) or schema > SCHEMA:
        raise SnapshotSchemaError(
            f"a snapshot of schema {schema!r}, newer than this syncd reads ({SCHEMA}):"
            " upgrade syncd"
        )


def curve_parts(parts: Mapping[str, Any]) -> tuple[date, Performance, Unplanned]:
    """The status date, project figures and unplanned counts of a stored snapshot, from those
    parts of it alone (`schema`, `as_of`, `project`, `unplanned`, as the store reads them), read
    as `from_dict` reads them in the whole: an S-curve needs no more of each earlier snapshot,
    whose tasks and links cost a millisecond each to read back."""
    _readable(1 if parts.get("schema") is None else parts["schema"])
    return (
        date.fromisoformat(parts["as_of"]),
        codec.load(Performance, parts["project"]),
        codec.load(Unplanned, parts["unplanned"]),
    )
