"""The CSV rendering: the task (variance) table, one row per leaf task.

Cells that a spreadsheet would read as a formula (``=``, ``+``, ``-``, ``@`` first, also in their
full-width forms) are prefixed with an apostrophe, so a plan or tracker text never runs as one.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from typing import Any

from syncd.reports.model import Status, TaskRow

COLUMNS = (
    "wbs",
    "key",
    "name",
    "milestone",
    "baseline_start",
    "baseline_finish",
    "forecast_start",
    "forecast_finish",
    "slip_days",
    "budget",
    "pv",
    "ev",
    "sv",
    "spi",
    "percent_complete",
    "percent_planned",
    "critical",
    "baseline_critical",
    "baseline_total_float",
    "baseline_free_float",
    "driver",
    "behind",
    "items",
    "warnings",
)
_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def cell(value: Any) -> str | float | int:
    """A CSV cell: numbers as they are, text defused, None empty, dates ISO."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "yes" if value else "no"
    if isinstance(value, int | float):
        return round(value, 6) if isinstance(value, float) else value
    text = value.isoformat() if hasattr(value, "isoformat") else str(value)
    # NFKC first: a spreadsheet reads a full-width ＝ (or ＋ － ＠) as the formula sign too
    return "'" + text if unicodedata.normalize("NFKC", text).startswith(_FORMULA_START) else text


def row_cells(row: TaskRow, warnings: str = "") -> list[str | float | int]:
    return [cell(warnings if name == "warnings" else _value(row, name)) for name in COLUMNS]


def _value(row: TaskRow, name: str) -> Any:
    if name == "driver":
        return row.driver.text if row.driver else None
    return getattr(row, name)


def doubts(status: Status, row: TaskRow) -> str:
    """The notes of the warnings on a task's earned value: its own, then the project's."""
    notes = [w.note for w in status.warnings if row.key in w.tasks and w.touches("ev")]
    notes += [w.note for w in status.warnings if not w.tasks and w.touches("ev")]
    return "; ".join(dict.fromkeys(n for n in notes if n))


def render_csv(status: Status) -> str:
    """The task table as CSV text (header first; figures in the baseline's unit). The last
    column names the data warnings that make the row's EV doubtful."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(COLUMNS)
    writer.writerows(row_cells(r, doubts(status, r)) for r in status.tasks)
    return buffer.getvalue()
