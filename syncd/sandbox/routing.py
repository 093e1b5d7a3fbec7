"""The glue between Starlette and the handlers: a `Call` holding what a handler needs,
`ApiError` for answers that are errors, and `route()` which records the route template,
reads the body, takes the state lock and turns errors into each API's error format.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import parse_qsl

import orjson
from starlette.datastructures import QueryParams
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import Route

from syncd.sandbox.context import Context
from syncd.sandbox.jira_render import Flavour

ROUTE_KEY = "sandbox.route"


class ApiError(Exception):
    """An error answer: Jira gets `{"errorMessages": [...]}`, Trello plain text."""

    def __init__(self, status: int, message: str, *, errors: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.status = status
        self.message = message
        self.errors = errors or {}


@dataclass
class Call:
    """One request as handlers see it."""

    request: Request
    ctx: Context
    flavour: Flavour | None
    path: dict[str, str]
    query: QueryParams
    body: bytes

    def json(self) -> Any:
        """The JSON body (`{}` when empty); malformed JSON is a 400."""
        if not self.body.strip():
            return {}
        try:
            return json.loads(self.body)
        except ValueError as exc:
            raise ApiError(400, f"Unexpected character in request body: {exc}") from exc

    def form(self) -> dict[str, Any]:
        """Query parameters merged with a JSON or form body, as Trello reads arguments."""
        merged: dict[str, Any] = dict(self.query)
        content_type = self.request.headers.get("content-type", "")
        if "application/json" in content_type:
            body = self.json()
            if isinstance(body, dict):
                merged.update(body)
        elif self.body:
            merged.update(parse_qsl(self.body.decode("utf-8", "replace"), keep_blank_values=True))
        return merged

    def int_arg(self, name: str, default: int) -> int:
        """An integer query parameter; garbage is a 400."""
        raw = self.query.get(name)
        if raw in (None, ""):
            return default
        try:
            return int(raw)
        except ValueError as exc:
            raise ApiError(400, f"The value '{raw}' is invalid for '{name}'.") from exc


Handler = Callable[[Call], Response]
AsyncHandler = Callable[[Call], Awaitable[Response]]


def jira_error(error: ApiError) -> Response:
    """Jira's ErrorCollection."""
    return JSONResponse(
        {"errorMessages": [error.message] if error.message else [], "errors": error.errors},
        status_code=error.status,
    )


def trello_error(error: ApiError) -> Response:
    """Trello's plain-text errors."""
    return PlainTextResponse(error.message, status_code=error.status)


def route(
    path: str,
    handler: Handler,
    *,
    ctx: Context,
    methods: list[str],
    label: str,
    flavour: Flavour | None = None,
) -> Route:
    """A Starlette route that runs `handler` under the state lock and records `label`."""

    async def run(call: Call) -> Response:
        with ctx.state.lock:
            return handler(call)

    return async_route(path, run, ctx=ctx, methods=methods, label=label, flavour=flavour)


def async_route(
    path: str,
    handler: AsyncHandler,
    *,
    ctx: Context,
    methods: list[str],
    label: str,
    flavour: Flavour | None = None,
) -> Route:
    """Like `route`, for a handler that awaits (it takes the state lock itself)."""
    render_error = trello_error if flavour is None else jira_error

    async def endpoint(request: Request) -> Response:
        request.scope[ROUTE_KEY] = f"{request.method} {label}"
        call = Call(
            request,
            ctx,
            flavour,
            dict(request.path_params),
            request.query_params,
            await request.body(),
        )
        try:
            return await handler(call)
        except ApiError as error:
            return render_error(error)

    return Route(path, endpoint, methods=methods)


def json_response(
    payload: Any, status: int = 200, headers: dict[str, str] | None = None
) -> Response:
    """A compact JSON answer (orjson: big search pages are the sandbox's hottest path)."""
    return FastJSON(payload, status_code=status, headers=headers)


class FastJSON(JSONResponse):
    """Starlette's JSONResponse, rendered by orjson."""

    def render(self, content: Any) -> bytes:
        return orjson.dumps(content, option=orjson.OPT_NON_STR_KEYS)
