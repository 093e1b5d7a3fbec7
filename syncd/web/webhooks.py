"""Webhook receivers for Jira and Trello: verify, dedupe, write the inbox row, answer at once.

Jira admin webhooks sign the raw body with HMAC-SHA256 (`X-Hub-Signature: sha256=<hex>`) when
a secret is configured; the dynamic webhooks of an OAuth app carry `Authorization: Bearer <JWT>`,
an HS256 token made with the app's secret, checked for its signature and expiry, and arrive at
the app's one URL (`/webhooks/jira-app/<app>`), routed by the ids of the webhooks they matched.
Trello signs `body + callbackURL` with HMAC-SHA1 of the app secret, base64-encoded, in
`X-Trello-Webhook`, and checks the callback with a HEAD first. A connector with no secret to
check its deliveries with takes none. Deliveries may repeat: the delivery id is the inbox row's
dedupe key, and the body's digest is kept too, both for `inbox.RETENTION`.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import time
from collections.abc import Callable, Mapping
from secrets import token_bytes
from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncd import inbox, jobs, metrics, store
from syncd.clients import Client
from syncd.connectors.jira.config import JiraConfig
from syncd.connectors.jira.webhooks import app_key
from syncd.connectors.kinds import callback_path
from syncd.connectors.trello.config import TrelloConfig
from syncd.db import Webhook
from syncd.web.intake import TooLarge, digest, parse_object, read_capped

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

    async def jira(self, request: Request) -> Response:
        body = await _body(request)
        if isinstance(body, Response):
            return body
        found = self._connector(request, JiraConfig)
        if found is None:
            return _refused(body)
        client, conn = found
        secrets = client.secrets[conn.id]
        if conn.auth == "oauth":
            key = secrets.value("client_secret")
            signed = bool(key) and jira_jwt_ok(key, request.headers.get("authorization"))
        else:
            key = secrets.value("webhook_secret")
            signed = bool(key) and jira_signature_ok(
                key, body, request.headers.get("x-hub-signature")
            )
        if not signed:
            return self._unsigned(client.id, conn.id, verifiable=bool(key))
        delivery = request.headers.get("x-atlassian-webhook-identifier") or _fallback_id(body)
        return self._take(client, conn.id, body, lambda payload: delivery)

    async def trello(self, request: Request) -> Response:
        if request.method == "HEAD":  # Trello's check of a new callback; any path answers alike
            return Response(status_code=200)
        body = await _body(request)
        if isinstance(body, Response):
            return body
        found = self._connector(request, TrelloConfig)
        if found is None:
            return _refused(body)
        client, conn = found
        secret = client.secrets[conn.id].value("webhook_secret")
        callback = self.base_url + callback_path(client.id, conn.id, "trello")
        header = request.headers.get("x-trello-webhook")
        if not secret or not trello_signature_ok(secret, body, callback, header):
            return self._unsigned(client.id, conn.id, verifiable=bool(secret))

        def delivery(payload: dict[str, Any]) -> str:
            action = payload.get("action")
            ident = action.get("id") if isinstance(action, dict) else None
            return str(ident) if ident else _fallback_id(body)

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

    async def jira_app(self, request: Request) -> Response:
        """A dynamic webhook delivery for an OAuth app: checked with the app's secret, then an
        inbox row for each connector whose webhook it matched (`matchedWebhookIds`)."""
        body = await _body(request)
        if isinstance(body, Response):
            return body
        members = self._app_connectors(request.path_params["app"])
        if not members:
            return _refused(body)
        header = request.headers.get("authorization")
        keys = {client.secrets[conn.id].value("client_secret") for client, conn in members}
        if not any(key and jira_jwt_ok(key, header) for key in keys):
            log.warning("jira app webhook %s: bad signature, rejected", request.path_params["app"])
            metrics.WEBHOOKS.labels("jira-app", "bad_signature").inc()
            return JSONResponse(REFUSED, status_code=401)
        payload = parse_object(body)
        if isinstance(payload, str):
            return JSONResponse({"error": payload}, status_code=400)
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
        sha = digest(body)
        fresh = [self._enqueue(c, source, delivery, sha, payload) for c, source in targets]
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
