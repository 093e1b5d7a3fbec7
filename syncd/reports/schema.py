"""The JSON Schema (2020-12) of the JSON report; `docs/report-schema.json` is this, written out.

The API's OpenAPI 3.1 document embeds the same definitions, so the API, the JSON report and the
documentation cannot drift apart (a test checks the file against this module).
"""

from __future__ import annotations

import json
from typing import Any

from syncd.plan.quality import EVERYTHING
from syncd.reports.jsonout import SCHEMA_ID

Schema = dict[str, Any]


def _n(kind: str, description: str = "") -> Schema:
    """A nullable value of JSON type `kind`."""
    out: Schema = {"type": [kind, "null"]}
    if description:
        out["description"] = description
    return out


def _t(kind: str, description: str = "", **extra: Any) -> Schema:
    out: Schema = {"type": kind, **extra}
    if description:
        out["description"] = description
    return out


def _obj(props: dict[str, Schema], description: str = "") -> Schema:
    out: Schema = {
        "type": "object",
        "properties": props,
        "required": list(props),
        "additionalProperties": False,
    }
    if description:
        out["description"] = description
    return out


def _ref(name: str) -> Schema:
    return {"$ref": f"#/$defs/{name}"}


DATE = _t("string", format="date")
DATE_N = {"type": ["string", "null"], "format": "date"}
TIME_N = {"type": ["string", "null"], "format": "date-time"}
RAG = {"type": "string", "enum": ["red", "amber", "green"]}
KEYS = _t("array", items=_t("string"))

ITEM = _obj(
    {
        "source": _t("string", "configured connector id"),
        "key": _t("string", "issue key or card short id"),
        "title": _t("string", "as in the tracker; render as text, never as markup"),
        "url": _t("string", "http(s) link back to the tracker, or empty"),
        "type": _t("string"),
        "status": _t("string", "raw status or Trello list"),
        "category": {"type": "string", "enum": ["todo", "in_progress", "done"]},
        "assignee": _n("string"),
        "due": DATE_N,
        "resolved": DATE_N,
        "story_points": _n("number"),
        "estimate_hours": _n("number"),
        "plan_task": _n("string"),
        "labels": KEYS,
    },
    "A tracker item (Jira issue or Trello card).",
)

DRIVER = _obj(
    {
        "kind": {
            "type": "string",
            "enum": ["actual", "in_progress", "link", "baseline_start", "status_date"],
            "description": "actual dates (done); in progress (the rest from the status date, or"
            " waiting for `task`); link (not started, `task`'s link sets the start); its"
            " baseline start; the status date (its baseline start has passed)",
        },
        "task": _n("string", "key of the driving predecessor"),
        "link": _t("string", "the driving link as schedulers write it: FS, SS+2d, ..."),
        "text": _t("string", "in words, the predecessor by WBS code and name"),
    },
    "What sets a task's CPM forecast.",
)

FLOAT = "working days on the plan calendar"

TASK = _obj(
    {
        "key": _t("string"),
        "wbs": _t("string"),
        "name": _t("string"),
        "milestone": _t("boolean"),
        "baseline_start": DATE,
        "baseline_finish": DATE,
        "forecast_start": DATE_N,
        "forecast_finish": DATE_N,
        "budget": _t("number", "BAC of the task, in figures.unit"),
        "pv": _t("number"),
        "ev": _t("number"),
        "sv": _t("number", "EV - PV; negative is behind"),
        "spi": _n("number"),
        "percent_complete": _t("number", "0..1"),
        "percent_planned": _t("number", "0..1"),
        "slip_days": _t("number", "forecast finish - baseline finish, working days"),
        "critical": _t("boolean", "critical on the re-forecast network"),
        "status": _t("string", "todo, in_progress or done (empty when unknown)"),
        "items": _t("integer", "tracker items linked to the task"),
        "baseline_total_float": _n("number", f"total float of the baseline network, {FLOAT}"),
        "baseline_free_float": _n("number", f"free float of the baseline network, {FLOAT}"),
        "baseline_critical": _t("boolean", "critical on the baseline network"),
        "total_float": _n("number", f"total float of the re-forecast, {FLOAT}; null: done"),
        "free_float": _n("number", f"free float of the re-forecast, {FLOAT}; null: done"),
        "driver": {"anyOf": [_ref("driver"), {"type": "null"}]},
        "behind": _t("boolean", "sv < 0 or slip_days > 0"),
        "done": _t("boolean"),
    },
    "A leaf task of the baseline with its earned-value figures.",
)

MILESTONE = _obj(
    {
        "key": _t("string"),
        "name": _t("string"),
        "baseline": DATE,
        "forecast": DATE_N,
        "deadline": DATE_N,
        "slip_days": _t("number", "working days late (negative: early)"),
        "at_risk": _t("boolean"),
        "done": _t("boolean"),
        "driving_path": {**KEYS, "description": "task keys driving the milestone, earliest first"},
    }
)

FIGURES = _obj(
    {
        "unit": _t("string", "hours or money"),
        "currency": _t("string"),
        "bac": _t("number", "budget at completion"),
        "pv": _t("number", "planned value at the status date"),
        "ev": _t("number", "earned value"),
        "ac": _n("number", "actual cost, only where time is tracked"),
        "sv": _t("number"),
        "spi": _n("number"),
        "cpi": _n("number", "null when not tracked, or withheld (see `withheld.cpi`)"),
        "spi_t": _n("number", "earned-schedule SPI(t)"),
        "sv_t_days": _n("number", "earned-schedule SV(t), working days"),
        "percent_complete": _n("number", "EV / BAC"),
        "percent_planned": _n("number", "PV / BAC"),
    }
)

FORECAST = _obj(
    {
        "baseline_finish": DATE_N,
        "es_finish": {**DATE_N, "description": "earned schedule: the past pace continues"},
        "cpm_finish": {**DATE_N, "description": "CPM from the status date: the rest runs to plan"},
        "es_slip_days": _n("number", "IEAC(t) - planned duration, working days (client calendar)"),
        "cpm_slip_days": _n("number", "CPM finish - baseline finish, working days"),
    }
)

SOURCE = _obj(
    {
        "source": _t("string"),
        "kind": _t(
            "string", "the kind of its connector (as in the client file), or empty when unknown"
        ),
        "total": _t("integer"),
        "done": _t("integer"),
        "in_progress": _t("integer"),
        "todo": _t("integer"),
        "last_success": TIME_N,
        "stale": _t("boolean", "no successful pull over 3 scheduled pulls (at least an hour)"),
    }
)

PROBLEM = _obj(
    {
        "kind": _t("string", "quarantine, pull, push, warning or dead (a dead letter)"),
        "source": _n("string"),
        "message": _t("string"),
        "at": TIME_N,
        "job_id": _n("integer", "dead letters: the job to replay"),
    }
)

RISK = _obj(
    {
        "kind": {"type": "string", "enum": ["risk", "issue", "decision", "action", "lesson"]},
        "item": _ref("item"),
        "overdue": _t("boolean"),
        "owner": _n("string", "the owner field `[registers]` names, else the assignee"),
        "probability": _n("integer", "1-5, from the mapped custom field"),
        "impact": _n("integer", "1-5, from the mapped custom field"),
        "opened": DATE_N,
        "age_days": _n("integer", "days since the item was created"),
    }
)

ACCEPTANCE = _obj(
    {
        "key": _t("string", "the milestone's task key"),
        "name": _t("string"),
        "criteria": KEYS,
        "state": {"type": "string", "enum": ["accepted", "awaiting", "open"]},
        "evidence": _n("string", "the tracker item that recorded the acceptance"),
    },
    "A milestone's formal acceptance (the client file's [acceptance]).",
)

CHANGE = _obj(
    {
        "since": DATE,
        "previous_as_of": DATE_N,
        "previous_rag": {"type": ["string", "null"], "enum": ["red", "amber", "green", None]},
        "ev_delta": _n("number"),
        "pv_delta": _n("number"),
        "spi_delta": _n("number"),
        "tasks_completed": KEYS,
        "items_completed": _t("array", items=_ref("item")),
    }
)

POINT = _obj(
    {
        "as_of": DATE,
        "pv": _t("number"),
        "ev": _t("number"),
        "spi": _n("number"),
        "planned_items": _n("integer", "items linked to the plan (null: not recorded)"),
        "unplanned_items": _n("integer", "items linked to no task: scope growth"),
    }
)

UNPLANNED = _obj(
    {
        "items": _t("array", items=_ref("item")),
        "count": _t("integer"),
        "points": _t("number"),
        "hours": _t("number"),
        "growth": _n("number", "unplanned items / planned items"),
    }
)

FIGURE_NAMES = list(EVERYTHING)
WARNING = _obj(
    {
        "code": _t(
            "string",
            "what is wrong: points_missing, unmeasured, summary_link, link_unused, ambiguous_ref,"
            " plan_unrecorded, counts_undated, before_evidence, ac_undated, ac_missing, ac_scope,"
            " no_hourly_rate, quarantined, pull_failed, stale (note: a warning of an older"
            " snapshot that had no code)",
        ),
        "message": _t("string", "what is wrong and what it means for the figures"),
        "affects": {
            "type": "array",
            "items": {"type": "string", "enum": FIGURE_NAMES},
            "description": "the figures it makes doubtful (forecast: both finish forecasts)",
        },
        "tasks": {**KEYS, "description": "task keys it concerns; empty: the whole project"},
        "source": _n("string", "the connector it concerns"),
        "note": _t("string", "a few words printed next to each affected figure"),
    },
    "A data-quality warning: a figure computed from incomplete data.",
)
FIGURE_TEXT = {
    "type": "object",
    "propertyNames": {"enum": FIGURE_NAMES},
    "additionalProperties": _t("string"),
}

STATUS = _obj(
    {
        "schema": {"const": SCHEMA_ID},
        "client": _obj({"id": _t("string"), "name": _t("string"), "timezone": _t("string")}),
        "as_of": DATE,
        "baseline": _obj({"version": _n("integer"), "label": _t("string")}),
        "rag": _obj({"status": RAG, "reasons": KEYS}),
        "headline": _t("string"),
        "figures": _ref("figures"),
        "forecast": _ref("forecast"),
        "milestones": _t("array", items=_ref("milestone")),
        "next_milestones": KEYS,
        "tasks": _t("array", items=_ref("task")),
        "behind": {**KEYS, "description": "keys of tasks behind plan, worst first"},
        "critical_path": {**KEYS, "description": "current: the re-forecast network, task keys"},
        "baseline_critical_path": {**KEYS, "description": "the baseline network, task keys"},
        "unplanned": _ref("unplanned"),
        "sources": _t("array", items=_ref("source")),
        "problems": _t("array", items=_ref("problem")),
        "risks": _t("array", items=_ref("risk")),
        "acceptance": _t("array", items=_ref("acceptance")),
        "change": _ref("change"),
        "curve": _t("array", items=_ref("point")),
        "warnings": _t("array", "data-quality warnings of this status", items=_ref("warning")),
        "notes": {
            **FIGURE_TEXT,
            "description": "per figure, the notes of the warnings that affect it: show beside it",
        },
        "withheld": {
            **FIGURE_TEXT,
            "description": "figures set to null because too wrong to show (cpi when AC is "
            "missing for most items), with why: show it instead of the number",
        },
    },
    "A client's consolidated status on one status date.",
)

DEFS: dict[str, Schema] = {
    "item": ITEM,
    "task": TASK,
    "driver": DRIVER,
    "milestone": MILESTONE,
    "figures": FIGURES,
    "forecast": FORECAST,
    "source": SOURCE,
    "problem": PROBLEM,
    "risk": RISK,
    "acceptance": ACCEPTANCE,
    "change": CHANGE,
    "point": POINT,
    "unplanned": UNPLANNED,
    "warning": WARNING,
}


def report_schema() -> Schema:
    """The whole JSON Schema document of the JSON report."""
    return {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "$id": "https://syncd.invalid/report-schema.json",
        "title": "syncd status report",
        **STATUS,
        "$defs": DEFS,
    }


def schema_text() -> str:
    return json.dumps(report_schema(), indent=2) + "\n"
