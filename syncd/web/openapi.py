"""The OpenAPI 3.1 document of the JSON API, built from the report's own JSON Schema."""

from __future__ import annotations

import copy
from functools import cache
from typing import Any

from syncd.reports.schema import DEFS, STATUS, Schema

REF = "#/components/schemas/"


def _refs(node: Any) -> Any:
    """The report schema with `#/$defs/x` pointers moved to `#/components/schemas/x`."""
    if isinstance(node, dict):
        return {
            k: (v.replace("#/$defs/", REF) if k == "$ref" else _refs(v)) for k, v in node.items()
        }
    if isinstance(node, list):
        return [_refs(v) for v in node]
    return node


def _ref(name: str) -> Schema:
    return {"$ref": REF + name}


def _obj(props: dict[str, Schema]) -> Schema:
    return {"type": "object", "properties": props, "required": list(props)}


def _nullable(schema: Schema) -> Schema:
    return {"oneOf": [schema, {"type": "null"}]}


SUMMARY = _obj(
    {
        "id": {"type": "string"},
        "name": {"type": "string"},
        "as_of": {"type": ["string", "null"], "format": "date"},
        "rag": {"type": ["string", "null"], "enum": ["red", "amber", "green", None]},
        "headline": {"type": "string"},
        "spi": {"type": ["number", "null"]},
        "spi_t": {"type": ["number", "null"]},
        "percent_complete": {"type": ["number", "null"]},
        "trend": {"type": "string", "enum": ["up", "down", "flat", "new", "none"]},
        "spi_history": {"type": "array", "items": {"type": ["number", "null"]}},
        "next_milestone": _nullable(_ref("milestone")),
        "problems": {
            "type": "array",
            "items": {"type": "string"},
            "description": "why the client's config file cannot be loaded (file › message)",
        },
        "warnings": {
            "type": "array",
            "items": _ref("warning"),
            "description": "data-quality warnings of the newest status",
        },
        "reason": {"type": "string", "description": "the headline reason of the colour"},
        "reasons": {"type": "array", "items": {"type": "string"}},
        "cpi": {"type": ["number", "null"]},
        "spi_delta": {
            "type": ["number", "null"],
            "description": "SPI now minus SPI at the previous snapshot",
        },
        "growth": {"type": ["number", "null"], "description": "unplanned / planned items"},
        "unplanned": {"type": "integer"},
        "due_soon": {"type": "integer", "description": "open milestones due within 14 days"},
        "thresholds": {"type": "object", "additionalProperties": {"type": "number"}},
        "owner": {"type": "string"},
        "tags": {"type": "array", "items": {"type": "string"}},
        "spi_judged": {"type": "string", "enum": ["good", "warn", "bad", ""]},
        "cpi_judged": {"type": "string", "enum": ["good", "warn", "bad", ""]},
        "sync": _obj(
            {
                "oldest_pull": {"type": ["string", "null"], "format": "date-time"},
                "stale": {"type": "array", "items": {"type": "string"}},
                "quarantined": {"type": "integer"},
                "failed_pulls": {"type": "integer"},
                "dead": {"type": "integer"},
                "dead_pushes": {"type": "integer"},
                "lapsed": {"type": "array", "items": {"type": "string"}},
                "push_targets": {
                    "type": "array",
                    "description": "targets whose status pushes failed for good, the worst"
                    " first: one problem each, however many pushes failed there",
                    "items": _obj(
                        {
                            "target": {"type": "string", "description": "connector:target"},
                            "failed": {"type": "integer", "description": "dead pushes there"},
                        }
                    ),
                },
                "badges": {
                    "type": "array",
                    "items": _obj({"text": {"type": "string"}, "kind": {"type": "string"}}),
                },
            }
        ),
    }
)

EXTRA: dict[str, Schema] = {
    "summary": SUMMARY,
    "client_list": _obj({"clients": {"type": "array", "items": _ref("summary")}}),
    "curve": _obj(
        {
            "client": {"type": "string"},
            "points": {
                "type": "array",
                "items": _obj(
                    {
                        "as_of": {"type": "string", "format": "date"},
                        "pv": {"type": "number"},
                        "ev": {"type": "number"},
                        "spi": {"type": ["number", "null"]},
                        "rag": {"type": ["string", "null"]},
                    }
                ),
            },
        }
    ),
    "item_page": _obj(
        {
            "total": {"type": "integer"},
            "offset": {"type": "integer"},
            "limit": {"type": "integer"},
            "items": {"type": "array", "items": _ref("item")},
        }
    ),
    "failure": _obj(
        {
            "kind": {"type": "string", "description": "the job kind: push, pull, deliver…"},
            "client": {"type": "string"},
            "target": {"type": ["string", "null"], "description": "connector:target of a push"},
            "failed": {"type": "integer", "description": "dead letters in it"},
            "message": {"type": "string", "description": "the latest error"},
            "first_at": {"type": ["string", "null"], "format": "date-time"},
            "last_at": {"type": ["string", "null"], "format": "date-time"},
            "job_id": {"type": "integer", "description": "the newest: the one to replay"},
        }
    ),
    "health": _obj(
        {
            "client": {"type": "string"},
            "checked_at": {"type": "string", "format": "date-time"},
            "sources": {"type": "array", "items": _ref("source")},
            "problems": {"type": "array", "items": _ref("problem")},
            "failures": {
                "type": "array",
                "items": _ref("failure"),
                "description": "the dead letters among the problems as failures, the latest"
                " first: every dead push to one target is one",
            },
        }
    ),
    "replayed": _obj(
        {
            "job_id": {"type": "integer"},
            "replayed": {"type": "boolean", "description": "false: it was not dead"},
            "queued": {
                "type": ["integer", "null"],
                "description": "the job queued again: for a push, its target's newest dead"
                " push; null when a newer push of the target is queued already",
            },
            "set_aside": {
                "type": "array",
                "items": {"type": "integer"},
                "description": "older dead pushes of the same target, not sent again",
            },
        }
    ),
    "error": _obj({"error": {"type": "string"}}),
}


def _json(schema: str, description: str) -> dict[str, Any]:
    return {"description": description, "content": {"application/json": {"schema": _ref(schema)}}}


def _op(op_id: str, summary: str, ok: str, *, params: list[Any] | None = None) -> dict[str, Any]:
    responses = {
        "200": _json(ok, "OK"),
        "401": _json("error", "No valid token"),
        "404": _json("error", "No such client (or not visible to this token)"),
        "400": _json("error", "A query parameter is invalid or unknown"),
    }
    return {
        "operationId": op_id,
        "summary": summary,
        "parameters": params or [],
        "responses": responses,
    }


CLIENT = {"name": "client", "in": "path", "required": True, "schema": {"type": "string"}}
AS_OF = {
    "name": "as_of",
    "in": "query",
    "required": False,
    "description": "status date (default: the newest snapshot)",
    "schema": {"type": "string", "format": "date"},
}
JOB = {
    "name": "job_id",
    "in": "path",
    "required": True,
    "schema": {"type": "integer", "minimum": 1},
}


def _paths() -> dict[str, Any]:
    base = "/api/clients/{client}"
    listing = _op("listClients", "Every visible client at a glance", "client_list")
    del listing["responses"]["404"]
    items = [
        CLIENT,
        {"name": "source", "in": "query", "required": False, "schema": {"type": "string"}},
        {
            "name": "limit",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 1, "maximum": 1000, "default": 100},
        },
        {
            "name": "offset",
            "in": "query",
            "required": False,
            "schema": {"type": "integer", "minimum": 0, "maximum": 10**9, "default": 0},
        },
    ]
    replay = _op(
        "replayDeadLetter",
        "Make a dead letter pending again (a push: its target's newest, once)",
        "replayed",
    )
    replay["parameters"] = [CLIENT, JOB]
    replay["responses"]["403"] = _json("error", "Cross-site request refused")
    return {
        "/api/clients": {"get": listing},
        base: {"get": _op("getClient", "One client at a glance", "summary", params=[CLIENT])},
        f"{base}/status": {
            "get": _op(
                "getStatus", "The consolidated status report", "status", params=[CLIENT, AS_OF]
            )
        },
        f"{base}/snapshots": {
            "get": _op(
                "getCurve", "PV and EV at every stored status date", "curve", params=[CLIENT]
            )
        },
        f"{base}/items": {"get": _op("listItems", "Tracker items", "item_page", params=items)},
        f"{base}/health": {
            "get": _op("getHealth", "Pulls, errors, dead letters", "health", params=[CLIENT])
        },
        base + "/dead-letters/{job_id}/replay": {"post": replay},
    }


@cache
def _document() -> dict[str, Any]:
    schemas = {name: _refs(s) for name, s in DEFS.items()}
    schemas["status"] = _refs(STATUS)
    schemas.update(EXTRA)
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "syncd API",
            "version": "1",
            "description": "Consolidated project status per client: what the dashboard shows.",
        },
        "servers": [{"url": "/"}],
        "security": [{"bearer": []}, {"cookie": []}, {"query": []}],
        "paths": _paths(),
        "components": {
            "schemas": schemas,
            "securitySchemes": {
                "bearer": {"type": "http", "scheme": "bearer"},
                "cookie": {"type": "apiKey", "in": "cookie", "name": "syncd_token"},
                "query": {"type": "apiKey", "in": "query", "name": "token"},
            },
        },
    }


def document() -> dict[str, Any]:
    """The OpenAPI document (a fresh copy: callers may mutate it)."""
    return copy.deepcopy(_document())
