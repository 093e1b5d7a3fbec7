"""Webhook receivers for Jira and Trello: verify, dedupe, write the inbox row, answer at once.

Jira admin webhooks sign the raw body with HMAC-SHA256 (`X-Hub-Signature: sha256=<hex>`) when
a secret is configured; the dynamic webhooks of an OAuth app carry `Authorization: Bearer <JWT>`,
an HS256 token made with the app's secret, checked for its signature and expiry, and arrive at
the app's one URL (`/webhooks/jira-app/<app>`), routed by the ids of the webhooks they matched.
Trello signs `body + callbackURL` with HMAC-SHA1 of the app secret, base64-encoded, in
`X-Trello-Webhook`, and checks the callback with a HEAD first. Deliveries may repeat: the
delivery id is the inbox row's dedupe key, kept for good.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncd import jobs, metrics, store
from syncd.clients import Client
from syncd.connectors.config import JiraConfig, TrelloConfig
from syncd.db import Webhook

log = logging.getLogger(__name__)

MAX_BODY = 1_000_000
Dispatch = Callable[[str, int | None], None]


def jira_signature_ok(secret: str, body: bytes, header: str | None) -> bool:
    """Constant-time check of `X-Hub-Signature: sha256=<hex>` over the raw body."""
    if not header or not header.startswith("sha256="):
        return False
    expected = hmac.new(secret.encode(), body, hashlib.sha256).hexdigest()
    return hmac.compare_digest(expected, header.removeprefix("sha256=").strip())


def jira_jwt_ok(
    secret: str, header: str | None, *, now: float | None = None, leeway: float = 60.0
) -> bool:
    """Constant-time check of an OAuth app's webhook JWT: HS256 only, signed with `secret`,
    not expired (`leeway` seconds of clock skew allowed)."""
    if not header or header[:7].lower() != "bearer ":
        return False
    parts = header[7:].strip().split(".")
    if len(parts) != 3:
        return False
    try:
        head, claims = (json.loads(_unb64(p)) for p in parts[:2])
        signature = _unb64(parts[2])
    except (ValueError, UnicodeDecodeError, binascii.Error):
        return False
    if not isinstance(head, dict) or head.get("alg") != "HS256" or not isinstance(claims, dict):
        return False
    signed = f"{parts[0]}.{parts[1]}".encode()
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).digest()
    if not hmac.compare_digest(expected, signature):
        return False
    expiry = claims.get("exp")
    current = time.time() if now is None else now
    return isinstance(expiry, int | float) and current <= expiry + leeway


def _unb64(part: str) -> bytes:
    return base64.urlsafe_b64decode(part + "=" * (-len(part) % 4))


def trello_signature(secret: str, body: bytes, callback_url: str) -> str:
    digest = hmac.new(secret.encode(), body + callback_url.encode(), hashlib.sha1).digest()
    return base64.b64encode(digest).decode()


def trello_signature_ok(secret: str, body: bytes, callback_url: str, header: str | None) -> bool:
    """Constant-time check of `X-Trello-Webhook` over body + the registered callback URL."""
    if not header:
        return False
    return hmac.compare_digest(trello_signature(secret, body, callback_url), header.strip())


def callback_path(client: str, source: str, kind: str) -> str:
    return f"/webhooks/{kind}/{client}/{source}"


def app_key(client_id: str) -> str:
    """An OAuth app's name in its callback path: a digest of its client id."""
    return hashlib.sha256(client_id.encode()).hexdigest()[:16]


def app_callback_path(client_id: str) -> str:
    """The one webhook URL path of an OAuth app (Jira allows an app one URL per site)."""
    return f"/webhooks/jira-app/{app_key(client_id)}"


class Receiver:
    """The two webhook endpoints, bound to the loaded clients and the inbox."""

    def __init__(
        self, engine: Engine, clients: dict[str, Client], dispatch: Dispatch, *, base_url: str
    ) -> None:
        self.engine, self.clients, self.dispatch = engine, clients, dispatch
        self.base_url = base_url.rstrip("/")

    def routes(self) -> list[Route]:
        return [
            Route("/webhooks/jira/{client}/{source}", self.jira, methods=["POST"]),
            Route("/webhooks/jira-app/{app}", self.jira_app, methods=["POST"]),
            Route("/webhooks/trello/{client}/{source}", self.trello, methods=["POST", "HEAD"]),
        ]

    def _connector(self, request: Request, kind: type[Any]) -> tuple[Client, Any] | None:
        client = self.clients.get(request.path_params["client"])
        if client is None:
            return None
        for conn in client.config.connectors:
            if conn.id == request.path_params["source"] and isinstance(conn, kind):
                return client, conn
        return None

    async def _body(self, request: Request) -> bytes | None:
        body = await request.body()
        return None if len(body) > MAX_BODY else body

    async def jira(self, request: Request) -> Response:
        found = self._connector(request, JiraConfig)
        if found is None:
            return JSONResponse({"error": "unknown webhook"}, status_code=404)
        client, conn = found
        body = await self._body(request)
        if body is None:
            return JSONResponse({"error": "body too large"}, status_code=413)
        secrets = client.secrets[conn.id]
        if conn.auth == "oauth":
            signed = jira_jwt_ok(
                secrets.value("client_secret"), request.headers.get("authorization")
            )
        else:
            secret = secrets.value("webhook_secret")
            signed = not secret or jira_signature_ok(
                secret, body, request.headers.get("x-hub-signature")
            )
        if not signed:
            log.warning("jira webhook for %s/%s: bad signature, rejected", client.id, conn.id)
            metrics.WEBHOOKS.labels(conn.id, "bad_signature").inc()
            return JSONResponse({"error": "bad signature"}, status_code=401)
        payload = _json(body)
        if payload is None:
            return JSONResponse({"error": "body is not a JSON object"}, status_code=400)
        delivery = request.headers.get("x-atlassian-webhook-identifier") or _fallback_id(body)
        return self._accept(client, conn.id, delivery, payload)

    async def trello(self, request: Request) -> Response:
        found = self._connector(request, TrelloConfig)
        if found is None:
            return JSONResponse({"error": "unknown webhook"}, status_code=404)
        if request.method == "HEAD":
            return Response(status_code=200)
        client, conn = found
        body = await self._body(request)
        if body is None:
            return JSONResponse({"error": "body too large"}, status_code=413)
        secret = client.secrets[conn.id].value("webhook_secret")
        callback = self.base_url + callback_path(client.id, conn.id, "trello")
        header = request.headers.get("x-trello-webhook")
        if secret and not trello_signature_ok(secret, body, callback, header):
            log.warning("trello webhook for %s/%s: bad signature, rejected", client.id, conn.id)
            metrics.WEBHOOKS.labels(conn.id, "bad_signature").inc()
            return JSONResponse({"error": "bad signature"}, status_code=401)
        payload = _json(body)
        if payload is None:
            return JSONResponse({"error": "body is not a JSON object"}, status_code=400)
        action = payload.get("action")
        delivery = str(action.get("id")) if isinstance(action, dict) and action.get("id") else ""
        return self._accept(client, conn.id, delivery or _fallback_id(body), payload)

    def _accept(self, client: Client, source: str, delivery: str, payload: Any) -> Response:
        if self._enqueue(client, source, delivery, payload):
            return JSONResponse({"status": "accepted"}, status_code=202)
        return JSONResponse({"status": "duplicate"}, status_code=200)

    async def jira_app(self, request: Request) -> Response:
        """A dynamic webhook delivery for an OAuth app: checked with the app's secret, then an
        inbox row for each connector whose webhook it matched (`matchedWebhookIds`)."""
        members = self._app_connectors(request.path_params["app"])
        if not members:
            return JSONResponse({"error": "unknown webhook"}, status_code=404)
        body = await self._body(request)
        if body is None:
            return JSONResponse({"error": "body too large"}, status_code=413)
        header = request.headers.get("authorization")
        keys = {client.secrets[conn.id].value("client_secret") for client, conn in members}
        if not any(jira_jwt_ok(key, header) for key in keys):
            log.warning("jira app webhook %s: bad signature, rejected", request.path_params["app"])
            metrics.WEBHOOKS.labels("jira-app", "bad_signature").inc()
            return JSONResponse({"error": "bad signature"}, status_code=401)
        payload = _json(body)
        if payload is None:
            return JSONResponse({"error": "body is not a JSON object"}, status_code=400)
        matched = {str(i) for i in payload.get("matchedWebhookIds") or [] if isinstance(i, int)}
        with store.sessions(self.engine)() as session:
            rows = session.execute(
                select(Webhook.client, Webhook.source).where(Webhook.remote_id.in_(matched))
            ).all()
        hooked = {(row.client, row.source) for row in rows}
        targets = [(c, conn.id) for c, conn in members if (c.id, conn.id) in hooked]
        if not targets:
            metrics.WEBHOOKS.labels("jira-app", "unmatched").inc()
            return JSONResponse({"status": "ignored"}, status_code=200)
        delivery = request.headers.get("x-atlassian-webhook-identifier") or _fallback_id(body)
        fresh = [self._enqueue(c, source, delivery, payload) for c, source in targets]
        if any(fresh):
            return JSONResponse({"status": "accepted"}, status_code=202)
        return JSONResponse({"status": "duplicate"}, status_code=200)

    def _app_connectors(self, app: str) -> list[tuple[Client, JiraConfig]]:
        return [
            (client, conn)
            for client in self.clients.values()
            for conn in client.config.connectors
            if isinstance(conn, JiraConfig)
            and conn.auth == "oauth"
            and app_key(client.secrets[conn.id].value("client_id")) == app
        ]

    def _enqueue(self, client: Client, source: str, delivery: str, payload: Any) -> bool:
        """One inbox row and one message; False when the delivery was seen before."""
        with store.sessions(self.engine).begin() as session:
            job = jobs.enqueue(
                session,
                "webhook",
                client.id,
                target=source,
                payload={"source": source, "delivery": delivery, "body": payload},
                dedupe=f"webhook:{client.id}:{source}:{delivery}"[:200],
                max_attempts=3,
            )
            job_id = job.id if job else None
        if job_id is None:
            metrics.WEBHOOKS.labels(source, "duplicate").inc()
            return False
        metrics.WEBHOOKS.labels(source, "accepted").inc()
        self.dispatch("webhook", job_id)
        return True


def _json(body: bytes) -> dict[str, Any] | None:
    try:
        value = json.loads(body)
    except (ValueError, UnicodeDecodeError):
        return None
    return value if isinstance(value, dict) else None


def _fallback_id(body: bytes) -> str:
    return "sha256:" + hashlib.sha256(body).hexdigest()[:40]
