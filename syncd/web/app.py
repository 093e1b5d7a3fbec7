"""The ASGI app: dashboard pages, JSON API, /healthz, /metrics, static assets, and the routes
others add (webhook receivers).

Every response carries an ``X-Request-ID`` (the caller's, when it sends a sane one) and each
request is logged once as key=value pairs with that id; the path is logged without its query,
so a ``?token=`` never reaches a log.
"""

from __future__ import annotations

import logging
import re
import time
import uuid
from collections.abc import Callable, Sequence
from contextvars import ContextVar

from sqlalchemy.engine import Engine
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syncd import metrics
from syncd.clientdir import ClientDirectory
from syncd.settings import Settings
from syncd.store.base import ping
from syncd.web import api, comms, live, pages
from syncd.web.metrics import metrics as metrics_endpoint

log = logging.getLogger("syncd.web")
REQUEST_ID: ContextVar[str] = ContextVar("syncd_request_id", default="-")
_SANE_ID = re.compile(r"^[A-Za-z0-9._-]{1,64}$")
BrokerCheck = Callable[[], object]

SECURITY_HEADERS = {
    "content-security-policy": (
        "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
        "object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'"
    ),
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
}


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every log record made while a request is handled."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        return True


class RequestContext:
    """ASGI middleware: request id, security headers, one access-log line, latency histogram."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        given = dict(scope["headers"]).get(b"x-request-id", b"").decode("latin-1")
        request_id = given if _SANE_ID.match(given) else uuid.uuid4().hex[:16]
        token = REQUEST_ID.set(request_id)
        scope.setdefault("state", {})["request_id"] = request_id
        started = time.perf_counter()
        status = 500

        answered = False

        async def sending(message: Message) -> None:
            nonlocal status, answered
            if message["type"] == "http.response.start":
                status, answered = message["status"], True
                headers = list(message.get("headers", []))
                headers.append((b"x-request-id", request_id.encode()))
                present = {k.lower() for k, _ in headers}
                headers += [
                    (k.encode(), v.encode())
                    for k, v in SECURITY_HEADERS.items()
                    if k.encode() not in present
                ]
                message["headers"] = headers
                if (b"content-length", b"0") in headers:
                    # An empty answer (a redirect) is whole once its head is out: log it first
                    record()
            elif message["type"] == "http.response.body" and not message.get("more_body"):
                record()  # before the last byte leaves: the line exists once the client has it
            await send(message)

        done = False

        def record() -> None:
            nonlocal done
            if done:
                return
            done = True
            elapsed = time.perf_counter() - started
            route = _route_name(scope)
            metrics.HTTP_LATENCY.labels(scope["method"], route, f"{status // 100}xx").observe(
                elapsed
            )
            log.info(
                "request_id=%s method=%s path=%s route=%s status=%s duration_ms=%.1f",
                request_id,
                scope["method"],
                scope["path"],
                route,
                status,
                elapsed * 1000,
            )

        try:
            await self.app(scope, receive, sending)
        except Exception:
            if not answered:  # answer 500 here, through `sending`: it carries the headers too
                await PlainTextResponse("Internal Server Error", 500)(scope, receive, sending)
            raise  # the server logs it, as it would have
        finally:
            record()  # an app that failed before answering still gets its line
            REQUEST_ID.reset(token)


def _route_name(scope: Scope) -> str:
    route = scope.get("route")
    path = getattr(route, "path", None)
    return str(path) if path else "unmatched"


def healthz(request: Request) -> Response:
    """200 when the database answers and the broker check passes; 503 and which one otherwise."""
    engine: Engine = request.app.state.engine
    checks = {"database": "ok", "broker": "ok"}
    try:
        ping(engine)
    except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
        checks["database"] = f"unreachable: {type(exc).__name__}"
    check: BrokerCheck | None = request.app.state.broker_check
    if check is None:
        checks["broker"] = "not checked"
    else:
        try:
            if check() is False:
                checks["broker"] = "unreachable"
        except Exception as exc:  # noqa: BLE001 - any failure means "not reachable"
            checks["broker"] = f"unreachable: {type(exc).__name__}"
    healthy = all(v in ("ok", "not checked") for v in checks.values())
    body = {"status": "ok" if healthy else "unhealthy", **checks}
    return JSONResponse(body, status_code=200 if healthy else 503)


def create_app(
    *,
    engine: Engine,
    settings: Settings,
    extra_routes: Sequence[BaseRoute] = (),
    broker_check: BrokerCheck | None = None,
    clients: ClientDirectory | None = None,
) -> Starlette:
    """The whole web app over one store; `extra_routes` are mounted as given (no token check).

    `clients` is the process's client configuration (the daemon shares its own); without it
    the app reads `settings.clients_dir` itself, again only when a file changes."""
    static = StaticFiles(packages=[("syncd.reports", "static")])
    routes: list[BaseRoute] = [
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_endpoint, methods=["GET"]),
        Mount("/static", static, name="static"),
        *pages.routes(),
        *api.routes(),
        *comms.routes(),
        *live.routes(),
        *extra_routes,
    ]
    app = Starlette(routes=routes, exception_handlers={404: _not_found, 405: _not_allowed})
    app.add_middleware(RequestContext)
    app.state.engine = engine
    app.state.settings = settings
    app.state.broker_check = broker_check
    app.state.clients = clients or ClientDirectory(settings.clients_dir)
    return app


async def _not_found(request: Request, exc: Exception) -> Response:
    if request.url.path.startswith("/api/"):
        return api.error(404, "not found")
    return pages.denied(request, 404)


async def _not_allowed(request: Request, exc: Exception) -> Response:
    response = JSONResponse({"error": "method not allowed"}, status_code=405)
    allow = getattr(exc, "headers", None) or {}
    response.headers.update(allow)
    return response
