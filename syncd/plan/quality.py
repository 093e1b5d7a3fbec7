"""Data-quality warnings: what a reconciliation's figures were computed from that is incomplete.

A `DataWarning` has a code, the figures it affects, the tasks or connector it concerns, a
message saying what is wrong and what it means, and a short `note` that every rendering prints
next to each affected figure (``SPI 0.50 (points missing)``). A warning on AC withholds CPI:
it shows as ``n/a (AC missing for 7 of 9 items)`` instead of a number that looks right.

Snapshots stored before warnings had codes hold bare strings; `read` turns those into warnings
too, so an old snapshot still loads and renders.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

# The figures a warning can affect (their names in the JSON report's `figures`).
EARNED = ("ev", "sv", "spi", "spi_t", "sv_t_days", "percent_complete", "forecast")
COST = ("ac", "cpi")
EVERYTHING = EARNED + COST

AFFECTS: dict[str, tuple[str, ...]] = {
    "points_missing": EARNED,
    "unmeasured": EARNED,
    "summary_link": EARNED,
    "link_unused": EARNED,
    "ambiguous_ref": EARNED,
    "plan_unrecorded": EARNED,
    "counts_undated": EARNED,
    "before_evidence": EARNED,
    "ac_undated": COST,
    "ac_missing": COST,
    "ac_scope": COST,
    "no_hourly_rate": COST,
    "quarantined": EVERYTHING,
    "pull_failed": EVERYTHING,
    "stale": EVERYTHING,
}
NOTES = {
    "points_missing": "points missing",
    "unmeasured": "not measurable",
    "summary_link": "items on a summary task",
    "link_unused": "a link matches nothing",
    "ambiguous_ref": "ambiguous task reference",
    "plan_unrecorded": "plan records no progress",
    "counts_undated": "counts are today's",
    "before_evidence": "status date before the evidence",
    "ac_undated": "today's logged time",
    "ac_missing": "AC incomplete",
    "ac_scope": "AC covers part of the work",
    "no_hourly_rate": "no hourly rate",
    "quarantined": "items quarantined",
    "pull_failed": "last pull failed",
    "stale": "data stale",
}
WITHHELD = {
    "ac_missing": "cpi",
    "ac_scope": "cpi",
}  # a figure too wrong to print: shown as n/a with the note

# How bare-string warnings of older snapshots begin, and the code each one had.
_LEGACY = (
    ("AC is today's", "ac_undated"),
    ("checklist and sub-item counts", "counts_undated"),
    ("items linked to summary task", "summary_link"),
    ("time is tracked but the plan is in money", "no_hourly_rate"),
    ("progress technique 'plan'", "plan_unrecorded"),
)


@dataclass(frozen=True, slots=True)
class DataWarning:
    """One data-quality problem behind the figures, and which figures it makes doubtful."""

    code: str
    message: str
    affects: tuple[str, ...] = ()  # figure names: ev, spi, cpi, ... (EVERYTHING)
    tasks: tuple[str, ...] = ()  # task keys it concerns (empty: the whole project)
    source: str | None = None  # the connector it concerns
    note: str = ""  # a few words printed next to each affected figure

    def touches(self, figure: str) -> bool:
        return figure in self.affects


def warning(
    code: str,
    message: str,
    *,
    tasks: tuple[str, ...] = (),
    source: str | None = None,
    note: str = "",
) -> DataWarning:
    """A warning of a known `code`, affecting that code's figures."""
    return DataWarning(
        code=code,
        message=message,
        affects=AFFECTS.get(code, ()),
        tasks=tasks,
        source=source,
        note=note or NOTES.get(code, ""),
    )


def from_text(text: str) -> DataWarning:
    """The warning a bare string of an older snapshot stands for (code ``note`` if unknown)."""
    code = next((c for start, c in _LEGACY if text.startswith(start)), "")
    if not code and " is not linked: " in text:
        code = "ambiguous_ref"
    return warning(code, text) if code else DataWarning(code="note", message=text)


def read(raw: Any) -> DataWarning | None:
    """A warning from its stored form: a dict (`codec.dump` of one) or an older bare string."""
    if isinstance(raw, str):
        return from_text(raw)
    if not isinstance(raw, Mapping) or not raw.get("message"):
        return None
    code = str(raw.get("code") or "note")
    affects = raw.get("affects")
    tasks = raw.get("tasks")
    return DataWarning(
        code=code,
        message=str(raw["message"]),
        affects=tuple(map(str, affects)) if isinstance(affects, list | tuple) else (),
        tasks=tuple(map(str, tasks)) if isinstance(tasks, list | tuple) else (),
        source=None if raw.get("source") is None else str(raw["source"]),
        note=str(raw.get("note") or NOTES.get(code, "")),
    )


def stored(raw: Any) -> list[dict[str, Any]]:
    """The stored warnings of a reconciliation dict, each as a warning dict (strings upgraded)."""
    found = [read(w) for w in raw] if isinstance(raw, list | tuple) else []
    return [_plain(w) for w in found if w is not None]


def _plain(w: DataWarning) -> dict[str, Any]:
    return {
        "code": w.code,
        "message": w.message,
        "affects": list(w.affects),
        "tasks": list(w.tasks),
        "source": w.source,
        "note": w.note,
    }


def notes(warnings: tuple[DataWarning, ...], figure: str) -> str:
    """What to print next to `figure`: the notes of every warning that affects it."""
    return "; ".join(dict.fromkeys(w.note for w in warnings if w.touches(figure) and w.note))


def withheld(warnings: tuple[DataWarning, ...], figure: str) -> str | None:
    """Why `figure` is not shown (its warning's note), or None when it may be printed."""
    return next(
        (w.note for w in warnings if WITHHELD.get(w.code) == figure and w.note),
        None,
    )
