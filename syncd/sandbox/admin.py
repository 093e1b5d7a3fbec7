"""`/_admin`: stats, clock, faults, latency, webhooks and OAuth apps for a sandbox running in
another process."""

from __future__ import annotations

from dataclasses import asdict, fields
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncd.sandbox import team
from syncd.sandbox.config import Faults
from syncd.sandbox.context import Context
from syncd.sandbox.state import Webhook


def admin_routes(ctx: Context) -> list[Route]:
    """The admin endpoints; they bypass faults, latency and counting."""

    async def stats(request: Request) -> Response:
        return JSONResponse(ctx.stats.snapshot())

    async def reset(request: Request) -> Response:
        ctx.stats.reset()
        return JSONResponse({"ok": True})

    async def advance(request: Request) -> Response:
        body = await json_body(request)
        moved = team.advance(ctx, ctx.team_rng, float(body.get("hours", 1)))
        return JSONResponse({"moved": moved, "now": ctx.state.clock.now().isoformat()})

    async def set_faults(request: Request) -> Response:
        body = await json_body(request)
        known = {f.name for f in fields(Faults)}
        unknown = sorted(set(body) - known)
        if unknown:
            return JSONResponse({"error": f"unknown fault settings: {unknown}"}, status_code=400)
        ctx.faults = Faults(**body)
        return JSONResponse(asdict(ctx.faults))

    async def set_latency(request: Request) -> Response:
        body = await json_body(request)
        ctx.latency_ms = int(body.get("ms", 0))
        return JSONResponse({"latency_ms": ctx.latency_ms})

    async def info(request: Request) -> Response:
        state = ctx.state
        return JSONResponse(
            {
                "now": state.clock.now().isoformat(),
                "issues": len(state.issues),
                "projects": list(state.projects),
                "cards": len(state.cards),
                "board_ids": list(state.boards),
                "jira_timezone": state.jira_timezone,
                "cloud_id": state.oauth.cloud_id,
            }
        )

    return [
        Route("/stats", stats, methods=["GET"]),
        Route("/reset", reset, methods=["POST"]),
        Route("/advance", advance, methods=["POST"]),
        Route("/faults", set_faults, methods=["POST", "PUT"]),
        Route("/latency", set_latency, methods=["POST", "PUT"]),
        Route("/info", info, methods=["GET"]),
        *_registration_routes(ctx),
    ]


def _registration_routes(ctx: Context) -> list[Route]:
    """What a test registers out of band: a Jira webhook (as an admin would), an OAuth app."""

    async def jira_webhook(request: Request) -> Response:
        body = await json_body(request)
        with ctx.state.lock:
            hook = Webhook(
                id=str(len(ctx.state.jira_webhooks) + 1),
                callback_url=str(body["url"]),
                secret=body.get("secret"),
                flavour=str(body.get("flavour", "cloud")),
            )
            ctx.state.jira_webhooks.append(hook)
        return JSONResponse({"id": hook.id}, status_code=201)

    async def oauth_app(request: Request) -> Response:
        body = await json_body(request)
        client_id, secret = body.get("client_id"), body.get("client_secret")
        if not isinstance(client_id, str) or not isinstance(secret, str):
            return JSONResponse({"error": "client_id and client_secret are required"}, 400)
        ctx.state.oauth.register_app(client_id, secret)
        refresh_token = ctx.state.oauth.grant(client_id)
        return JSONResponse(
            {"refresh_token": refresh_token, "cloud_id": ctx.state.oauth.cloud_id}, 201
        )

    return [
        Route("/jira-webhooks", jira_webhook, methods=["POST"]),
        Route("/oauth/apps", oauth_app, methods=["POST"]),
    ]


async def json_body(request: Request) -> dict[str, Any]:
    """The JSON object body, `{}` when empty."""
    raw = await request.body()
    if not raw.strip():
        return {}
    value = await request.json()
    return value if isinstance(value, dict) else {}
