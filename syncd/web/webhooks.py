"""Webhook receivers: verify, dedupe, write the inbox row, answer at once.

One route per kind in `connectors.registry.KINDS` that takes webhooks
(`/webhooks/<kind>/<client>/<source>`), and one per kind with apps serving many connectors at one
URL (`/webhooks/<kind>-app/<app>`, routed by the ids of the webhooks a delivery matched); how a
delivery is signed and named is the kind's (`ConnectorKind.webhooks`). A connector with no
secret to check its deliveries with takes none. Deliveries may repeat: the delivery id is the
inbox row's dedupe key, and the body's digest is kept too, both for `inbox.RETENTION`.
"""

from __future__ import annotations

import hashlib
import hmac
import logging
from collections.abc import Awaitable, Callable, Mapping
from secrets import token_bytes
from typing import Any

from sqlalchemy.engine import Engine
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncd import metrics, store
from syncd.clients import Client
from syncd.connectors.kinds import ConnectorKind
from syncd.connectors.registry import KINDS
from syncd.store import inbox, jobs
from syncd.store.webhooks import hooked
from syncd.store.work import JobKind, WebhookJob
from syncd.web.intake import TooLarge, digest, parse_object, read_capped

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000
Dispatch = Callable[[JobKind, int | None], None]


class Receiver:
    """The webhook endpoints, bound to the loaded clients and the inbox.

    Every delivery that is not taken gets the same answer, whether its client, connector or app
    is unknown, its connector has no secret to verify it with, or its signature is wrong: ids
    cannot be told apart without a secret. Bodies are read only up to `MAX_BODY`.
    """

    def __init__(
        self, engine: Engine, clients: Mapping[str, Client], dispatch: Dispatch, *, base_url: str
    ) -> None:
        self.engine, self.clients, self.dispatch = engine, clients, dispatch
        self.base_url = base_url.rstrip("/")
        self.unverifiable: set[tuple[str, str]] = set()  # connectors already warned about

    def routes(self) -> list[Route]:
        routes = []
        for kind in KINDS.values():
            hooks = kind.webhooks
            if hooks is None:
                continue
            methods = ["POST", "HEAD"] if hooks.answers_head else ["POST"]
            path = f"/webhooks/{kind.name}/{{client}}/{{source}}"
            routes.append(Route(path, self._endpoint(kind), methods=methods))
            if hooks.app is not None:
                path = f"/webhooks/{kind.name}-app/{{app}}"
                routes.append(Route(path, self._app_endpoint(kind), methods=["POST"]))
        return routes

    def _endpoint(self, kind: ConnectorKind) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await self.take(kind, request)

        return endpoint

    def _app_endpoint(self, kind: ConnectorKind) -> Callable[[Request], Awaitable[Response]]:
        async def endpoint(request: Request) -> Response:
            return await self.take_app(kind, request)

        return endpoint

    def _connector(self, request: Request, kind: ConnectorKind) -> tuple[Client, Any] | None:
        client = self.clients.get(request.path_params["client"])
        if client is None:
            return None
        for conn in client.config.connectors:
            if conn.id == request.path_params["source"] and conn.kind == kind.name:
                return client, conn
        return None

    async def take(self, kind: ConnectorKind, request: Request) -> Response:
        """A delivery for one connector: checked with its secret as its kind says."""
        hooks = kind.webhooks
        assert hooks is not None  # only kinds with webhooks have routes
        if request.method == "HEAD":  # a check of a new callback; any path answers alike
            return Response(status_code=200)
        body = await _body(request)
        if isinstance(body, Response):
            return body
        found = self._connector(request, kind)
        if found is None:
            return _refused(body)
        client, conn = found
        secrets = client.secrets[conn.id]
        callback = self.base_url + hooks.callback(client.id, conn, secrets)
        signed = hooks.verify(conn, secrets, request.headers, body, callback)
        if not signed:
            return self._unsigned(client.id, conn.id, verifiable=signed is not None)

        def delivery(payload: dict[str, Any]) -> str:
            return hooks.delivery(request.headers, payload) or _fallback_id(body)

        return self._take(client, conn.id, body, delivery)

    def _unsigned(self, client: str, source: str, *, verifiable: bool) -> Response:
        """Refuse a delivery that is not signed as its connector's secret says it must be, or
        one for a connector that has no secret to check it with (logged once per connector)."""
        if not verifiable:
            metrics.WEBHOOKS.labels(source, "unverifiable").inc()
            if (client, source) not in self.unverifiable:
                self.unverifiable.add((client, source))
                log.warning(
                    "webhook deliveries for %s/%s are refused: the connector has no secret to"
                    " verify them (set webhook_secret_env, or secret_env for Trello)",
                    client,
                    source,
                )
            return JSONResponse(REFUSED, status_code=401)
        log.warning("webhook for %s/%s: bad signature, rejected", client, source)
        metrics.WEBHOOKS.labels(source, "bad_signature").inc()
        return JSONResponse(REFUSED, status_code=401)

    def _take(
        self,
        client: Client,
        source: str,
        body: bytes,
        delivery: Callable[[dict[str, Any]], str],
    ) -> Response:
        payload = parse_object(body)
        if isinstance(payload, str):
            return JSONResponse({"error": payload}, status_code=400)
        fresh = self._enqueue(client, source, delivery(payload), digest(body), payload)
        if fresh:
            return JSONResponse({"status": "accepted"}, status_code=202)
        return JSONResponse({"status": "duplicate"}, status_code=200)

    async def take_app(self, kind: ConnectorKind, request: Request) -> Response:
        """A delivery for an app serving many connectors at one URL: checked with the app's
        secret, then an inbox row for each connector whose webhook it matched."""
        app = kind.webhooks.app if kind.webhooks else None
        assert app is not None  # only kinds with apps have app routes
        label = f"{kind.name}-app"
        body = await _body(request)
        if isinstance(body, Response):
            return body
        members = self._app_connectors(kind, request.path_params["app"])
        if not members:
            return _refused(body)
        if not any(app.verify(conn, c.secrets[conn.id], request.headers) for c, conn in members):
            log.warning(
                "%s app webhook %s: bad signature, rejected", kind.name, request.path_params["app"]
            )
            metrics.WEBHOOKS.labels(label, "bad_signature").inc()
            return JSONResponse(REFUSED, status_code=401)
        payload = parse_object(body)
        if isinstance(payload, str):
            return JSONResponse({"error": payload}, status_code=400)
        matched = app.matched(payload)
        found = hooked(self.engine, matched)
        targets = [(c, conn.id) for c, conn in members if (c.id, conn.id) in found]
        if not targets:
            metrics.WEBHOOKS.labels(label, "unmatched").inc()
            return JSONResponse({"status": "ignored"}, status_code=200)
        assert kind.webhooks is not None
        delivery = kind.webhooks.delivery(request.headers, payload) or _fallback_id(body)
        sha = digest(body)
        fresh = [self._enqueue(c, source, delivery, sha, payload) for c, source in targets]
        if any(fresh):
            return JSONResponse({"status": "accepted"}, status_code=202)
        return JSONResponse({"status": "duplicate"}, status_code=200)

    def _app_connectors(self, kind: ConnectorKind, app: str) -> list[tuple[Client, Any]]:
        hooks = kind.webhooks
        assert hooks is not None and hooks.app is not None
        return [
            (client, conn)
            for client in self.clients.values()
            for conn in client.config.connectors
            if conn.kind == kind.name and hooks.app.member(conn, client.secrets[conn.id], app)
        ]

    def _enqueue(
        self, client: Client, source: str, delivery: str, sha: str, payload: dict[str, Any]
    ) -> bool:
        """One inbox row and one message; False when the delivery id or the body was seen
        before (a captured signed body sent again under a new delivery id is a repeat)."""
        with store.sessions(self.engine).begin() as session:
            job = None
            if inbox.remember(session, f"{client.id}:{source}:{sha}"):
                job = jobs.enqueue(
                    session,
                    WebhookJob(source=source, delivery=delivery, body=payload),
                    client.id,
                    target=source,
                    dedupe=f"webhook:{client.id}:{source}:{delivery}"[:200],
                    max_attempts=3,
                )
            job_id = job.id if job else None
        if job_id is None:
            metrics.WEBHOOKS.labels(source, "duplicate").inc()
            return False
        metrics.WEBHOOKS.labels(source, "accepted").inc()
        self.dispatch(JobKind.WEBHOOK, job_id)
        return True


REFUSED = {"error": "not accepted: unknown webhook, or signature missing or not valid"}


async def _body(request: Request) -> bytes | Response:
    """The body, or the answer to give instead: 413 past `MAX_BODY`, the connection then closed
    rather than the rest read."""
    try:
        return await read_capped(request, MAX_BODY)
    except TooLarge:
        metrics.WEBHOOKS.labels("any", "too_large").inc()
        return JSONResponse(
            {"error": f"body too large: at most {MAX_BODY} bytes"},
            status_code=413,
            headers={"Connection": "close"},
        )
    except ClientDisconnect:
        return Response(status_code=400)  # nobody is left to read it


def _refused(body: bytes) -> Response:
    """The answer for an unknown client, connector or app: as for a bad signature, after the
    same work (an HMAC of the body), so neither answer nor timing tells which ids exist."""
    hmac.new(_DECOY, body, hashlib.sha256).hexdigest()
    metrics.WEBHOOKS.labels("unknown", "refused").inc()
    return JSONResponse(REFUSED, status_code=401)


_DECOY = token_bytes(32)


def _fallback_id(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()[:40]
