"""The JSON rendering of a `Status`; its shape is documented in `docs/report-schema.json`.

`status_to_dict` is also the body of the API's status endpoint, so the dashboard, the API and
the HTML report (which embeds it) carry one set of figures.
"""

from __future__ import annotations

import json
from dataclasses import fields, is_dataclass
from datetime import date, datetime
from typing import Any

from syncd.plan.quality import EVERYTHING, DataWarning
from syncd.reports.model import ItemRef, Status, TaskRow

SCHEMA_ID = "syncd.report/1"


def plain(value: Any) -> Any:
    """A JSON-ready copy of a report value: dataclasses as dicts, dates as ISO strings."""
    if is_dataclass(value) and not isinstance(value, type):
        return {f.name: plain(getattr(value, f.name)) for f in fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [plain(v) for v in value]
    if isinstance(value, dict):
        return {str(k): plain(v) for k, v in value.items()}
    return value


def task_dict(row: TaskRow) -> dict[str, Any]:
    data: dict[str, Any] = plain(row)
    data["behind"] = row.behind
    data["done"] = row.done
    return data


def item_dict(ref: ItemRef) -> dict[str, Any]:
    data: dict[str, Any] = plain(ref)
    return data


def status_to_dict(status: Status) -> dict[str, Any]:
    """Every figure of the report as plain JSON values (tracker items only where reported)."""
    change = status.change
    return {
        "schema": SCHEMA_ID,
        "client": {
            "id": status.client.id,
            "name": status.client.name,
            "timezone": status.client.timezone,
        },
        "as_of": status.as_of.isoformat(),
        "baseline": {"version": status.baseline_version, "label": status.baseline_label},
        "rag": {"status": status.rag.level.value, "reasons": list(status.rag.reasons)},
        "headline": status.headline,
        "figures": plain(status.figures),
        "forecast": plain(status.forecast),
        "milestones": plain(status.milestones),
        "next_milestones": [m.key for m in status.next_milestones],
        "tasks": [task_dict(t) for t in status.tasks],
        "behind": [t.key for t in status.behind],
        "critical_path": list(status.critical_path),
        "baseline_critical_path": list(status.baseline_critical_path),
        "unplanned": plain(status.unplanned),
        "sources": plain(status.sources),
        "problems": plain(status.problems),
        "risks": plain(status.risks),
        "acceptance": plain(status.acceptance),
        "change": {
            "since": change.since.isoformat(),
            "previous_as_of": plain(change.previous_as_of),
            "previous_rag": None if change.previous_rag is None else change.previous_rag.value,
            "ev_delta": change.ev_delta,
            "pv_delta": change.pv_delta,
            "spi_delta": change.spi_delta,
            "tasks_completed": [t.key for t in change.tasks_completed],
            "items_completed": [item_dict(i) for i in change.items_completed],
        },
        "curve": plain(status.curve),
        "warnings": [warning_dict(w) for w in status.warnings],
        "notes": {f: n for f in EVERYTHING if (n := status.notes(f))},
        "withheld": {f: w for f in EVERYTHING if (w := status.withheld(f))},
    }


def warning_dict(w: DataWarning) -> dict[str, Any]:
    data: dict[str, Any] = plain(w)
    return data


def render_json(status: Status) -> str:
    """The report as pretty-printed JSON text."""
    return json.dumps(status_to_dict(status), indent=2, ensure_ascii=False) + "\n"
