"""The JSON API under /api: what the pages show, as data, with its OpenAPI 3.1 document.

Every endpoint but the document itself needs a token (bearer or cookie); a scoped token gets
404 for other clients. Bodies are the report's own JSON (`reports.jsonout`), so the API, the
JSON report and the dashboard agree.
"""

from __future__ import annotations

import re
from datetime import date
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncd.reports.jsonout import item_dict, plain, status_to_dict
from syncd.reports.model import ClientInfo
from syncd.reports.overview import ClientSummary
from syncd.reports.snapshot import curve_point
from syncd.status import NoSnapshotError, load_status, snapshots
from syncd.web import data, triage
from syncd.web.auth import protected
from syncd.web.openapi import document
from syncd.web.pages import MAX_JOB_ID, same_origin, visible_summaries

DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
BAD_DATE = "as_of must be a date, YYYY-MM-DD"
MAX_LIMIT = 1000
MAX_OFFSET = 10**9


def error(status: int, message: str) -> JSONResponse:
    response = JSONResponse({"error": message}, status_code=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="syncd"'
    return response


def denied(_request: Request, status: int) -> Response:
    messages = {401: "a valid token is needed", 403: "cross-site request", 404: "not found"}
    return error(status, messages[status])


guard = protected(denied)


def summary_dict(summary: ClientSummary) -> dict[str, Any]:
    result: dict[str, Any] = plain(summary)
    result["thresholds"] = summary.thresholds.model_dump()
    result["spi_judged"], result["cpi_judged"] = summary.spi_judged, summary.cpi_judged
    result["sync"]["badges"] = [{"text": t, "kind": k} for t, k in summary.sync.badges]
    return result


def _client(request: Request, *allowed: str) -> ClientInfo | Response:
    """The client of the path, or the error answer: unknown client, unknown query parameter."""
    unknown = _unknown(request, allowed)
    if unknown is not None:
        return unknown
    info = data.client_or_none(request)
    return error(404, "not found") if info is None else info


def _unknown(request: Request, allowed: tuple[str, ...]) -> Response | None:
    extra = sorted(set(request.query_params) - {*allowed, "token"})
    return error(400, f"unknown query parameter {extra[0]!r}") if extra else None


def _as_of(request: Request) -> date | Response | None:
    raw = request.query_params.get("as_of")
    if raw is None:
        return None
    try:
        return date.fromisoformat(raw) if DATE.match(raw) else error(400, BAD_DATE)
    except ValueError:
        return error(400, BAD_DATE)


def _int(request: Request, name: str, default: int, low: int, high: int) -> int | Response:
    raw = request.query_params.get(name)
    if raw is None:
        return default
    if not raw.isdigit() or not low <= int(raw) <= high:
        return error(400, f"{name} must be an integer from {low} to {high}")
    return int(raw)


@guard
def list_clients(request: Request) -> Response:
    unknown = _unknown(request, ())
    if unknown is not None:
        return unknown
    return JSONResponse({"clients": [summary_dict(r) for r in visible_summaries(request)]})


@guard
def get_client(request: Request) -> Response:
    info = _client(request)
    if isinstance(info, Response):
        return info
    (line,) = triage.summaries(request.app.state.engine, {info.id: info})
    return JSONResponse(summary_dict(line))


@guard
def get_status(request: Request) -> Response:
    info, as_of = _client(request, "as_of"), _as_of(request)
    if isinstance(info, Response):
        return info
    if isinstance(as_of, Response):
        return as_of
    try:
        status = load_status(request.app.state.engine, info, as_of)
    except NoSnapshotError:
        return error(404, "no status on or before that date")
    return JSONResponse(status_to_dict(status))


@guard
def get_snapshots(request: Request) -> Response:
    info = _client(request)
    if isinstance(info, Response):
        return info
    points = [
        {**plain(curve_point(snap)), "rag": snap.reconciliation.rag.level.value}
        for snap in snapshots(request.app.state.engine, info.id)
    ]
    return JSONResponse({"client": info.id, "points": points})


@guard
def get_items(request: Request) -> Response:
    info = _client(request, "source", "limit", "offset")
    limit = _int(request, "limit", 100, 1, MAX_LIMIT)
    offset = _int(request, "offset", 0, 0, MAX_OFFSET)
    for value in (info, limit, offset):
        if isinstance(value, Response):
            return value
    assert isinstance(info, ClientInfo) and isinstance(limit, int) and isinstance(offset, int)
    refs = data.item_refs(request.app.state.engine, info)
    source = request.query_params.get("source")
    if source is not None:
        refs = [r for r in refs if r.source == source]
    page = [item_dict(r) for r in refs[offset : offset + limit]]
    return JSONResponse({"total": len(refs), "offset": offset, "limit": limit, "items": page})


@guard
def get_health(request: Request) -> Response:
    info = _client(request)
    if isinstance(info, Response):
        return info
    engine = request.app.state.engine
    from syncd.reports.build import source_progress

    state = data.client_health(engine, info)
    sources = source_progress(info, data.work_items(engine, info.id), state)
    return JSONResponse(
        {
            "client": info.id,
            "checked_at": state.checked_at.isoformat(),
            "sources": plain(sources),
            "problems": plain(state.problems),
            "failures": plain(state.failures),
        }
    )


@guard
def replay_dead_letter(request: Request) -> Response:
    if not same_origin(request):
        return error(403, "cross-site request")
    info = _client(request)
    if isinstance(info, Response):
        return info
    job_id = int(request.path_params["job_id"])
    outcome = None
    if 0 < job_id < MAX_JOB_ID:
        outcome = data.replay(request.app.state.engine, info.id, job_id)
    if outcome is None:
        return error(404, "no such job for this client")
    done = outcome if not isinstance(outcome, bool) else None
    return JSONResponse(
        {
            "job_id": job_id,
            "replayed": done is not None,
            "queued": done.queued if done else None,
            "set_aside": list(done.set_aside) if done else [],
        }
    )


def openapi(request: Request) -> Response:
    return JSONResponse(document())


def routes() -> list[Route]:
    base = "/api/clients/{client}"
    return [
        Route("/api/openapi.json", openapi, methods=["GET"]),
        Route("/api/clients", list_clients, methods=["GET"]),
        Route(base, get_client, methods=["GET"]),
        Route(f"{base}/status", get_status, methods=["GET"]),
        Route(f"{base}/snapshots", get_snapshots, methods=["GET"]),
        Route(f"{base}/items", get_items, methods=["GET"]),
        Route(f"{base}/health", get_health, methods=["GET"]),
        Route(base + "/dead-letters/{job_id:int}/replay", replay_dead_letter, methods=["POST"]),
    ]
