"""Webhook receivers: signatures checked, deliveries deduped, inbox rows written."""

from __future__ import annotations

import asyncio
import base64
import hashlib
import hmac
import json
import logging
import time
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from sqlalchemy.engine import Engine
from starlette.applications import Starlette

from syncd import store
from syncd.clients import Client, load_client
from syncd.connectors.jira.webhooks import app_callback_path
from syncd.connectors.trello.signing import trello_signature
from syncd.db import Job, Webhook
from syncd.web.webhooks import Receiver

CLIENT = """
name = "Acme"
[[connectors]]
kind = "jira"
id = "acme-jira"
url = "https://acme.atlassian.net"
email = "bot@acme.example"
token_env = "T"
jql = "project = ACME"
webhook_secret_env = "JIRA_HOOK"
[[connectors]]
kind = "trello"
id = "acme-board"
board = "b1"
key_env = "K"
token_env = "T"
secret_env = "TRELLO_SECRET"
"""
ENV = {"T": "tok", "K": "key", "JIRA_HOOK": "jira-hook-secret", "TRELLO_SECRET": "app-secret"}
BASE = "https://syncd.example"


@pytest.fixture
def client(tmp_path: Path) -> Client:
    (tmp_path / "acme.toml").write_text(CLIENT)
    return load_client(tmp_path, "acme", env=ENV)


class AsgiClient:
    """A small synchronous client over httpx's ASGI transport: the app, no socket."""

    def __init__(self, app: Starlette) -> None:
        self.transport = httpx.ASGITransport(app=app)

    def request(self, method: str, url: str, **kwargs: object) -> httpx.Response:
        async def go() -> httpx.Response:
            async with httpx.AsyncClient(transport=self.transport, base_url=BASE) as http:
                return await http.request(method, url, **kwargs)  # type: ignore[arg-type]

        return asyncio.run(go())

    def post(self, url: str, **kwargs: object) -> httpx.Response:
        return self.request("POST", url, **kwargs)

    def head(self, url: str, **kwargs: object) -> httpx.Response:
        return self.request("HEAD", url, **kwargs)


@pytest.fixture
def web(sqlite_engine: Engine, client: Client) -> tuple[AsgiClient, list[tuple[str, int | None]]]:
    sent: list[tuple[str, int | None]] = []
    receiver = Receiver(
        sqlite_engine, {"acme": client}, lambda k, i: sent.append((k, i)), base_url=BASE
    )
    return AsgiClient(Starlette(routes=receiver.routes())), sent


def inbox(engine: Engine) -> list[Job]:
    with store.sessions(engine)() as session:
        return list(session.execute(select(Job).where(Job.kind == "webhook")).scalars())


def jira_sig(body: bytes) -> str:
    return "sha256=" + hmac.new(b"jira-hook-secret", body, hashlib.sha256).hexdigest()


def test_jira_good_signature_writes_one_inbox_row(web, sqlite_engine: Engine) -> None:  # type: ignore[no-untyped-def]
    """A signed Jira delivery is accepted with 202 and becomes one inbox row and one message."""
    http, sent = web
    body = json.dumps({"webhookEvent": "jira:issue_updated", "issue": {"key": "ACME-1"}}).encode()
    headers = {"X-Hub-Signature": jira_sig(body), "X-Atlassian-Webhook-Identifier": "d-1"}
    response = http.post("/webhooks/jira/acme/acme-jira", content=body, headers=headers)
    assert response.status_code == 202
    [row] = inbox(sqlite_engine)
    assert row.payload["body"]["issue"]["key"] == "ACME-1" and sent == [("webhook", row.id)]


def test_jira_bad_signature_is_rejected_and_logged(web, sqlite_engine, caplog) -> None:  # type: ignore[no-untyped-def]
    """A wrong or missing signature gets 401, a warning in the log, and no inbox row."""
    http, sent = web
    caplog.set_level(logging.WARNING)
    body = b'{"webhookEvent": "jira:issue_updated"}'
    bad = http.post(
        "/webhooks/jira/acme/acme-jira",
        content=body,
        headers={"X-Hub-Signature": "sha256=" + "0" * 64},
    )
    missing = http.post("/webhooks/jira/acme/acme-jira", content=body)
    assert bad.status_code == 401 and missing.status_code == 401
    assert inbox(sqlite_engine) == [] and sent == []
    assert "bad signature" in caplog.text


def test_replayed_delivery_is_processed_once(web, sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    """Jira retries a delivery with the same identifier: one row, the repeat answered 200."""
    http, sent = web
    body = b'{"webhookEvent": "jira:issue_updated"}'
    headers = {"X-Hub-Signature": jira_sig(body), "X-Atlassian-Webhook-Identifier": "same"}
    first = http.post("/webhooks/jira/acme/acme-jira", content=body, headers=headers)
    again = http.post(
        "/webhooks/jira/acme/acme-jira",
        content=body,
        headers={**headers, "X-Atlassian-Webhook-Retry": "1"},
    )
    assert (first.status_code, again.status_code) == (202, 200)
    assert again.json() == {"status": "duplicate"}
    assert len(inbox(sqlite_engine)) == 1 and len(sent) == 1


def test_trello_head_check_answers_200(web) -> None:  # type: ignore[no-untyped-def]
    """Trello's HEAD check at webhook creation gets 200."""
    http, _ = web
    assert http.head("/webhooks/trello/acme/acme-board").status_code == 200


def test_trello_signature_covers_body_and_callback_url(web, sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    """The HMAC-SHA1 over body + callback URL is accepted; one over another URL is not."""
    http, _ = web
    body = json.dumps(
        {"action": {"id": "a1", "type": "updateCard"}, "model": {"id": "b1"}}
    ).encode()
    url = BASE + "/webhooks/trello/acme/acme-board"
    good = trello_signature("app-secret", body, url)
    wrong = trello_signature("app-secret", body, "https://elsewhere.example/hook")
    ok = http.post(
        "/webhooks/trello/acme/acme-board", content=body, headers={"X-Trello-Webhook": good}
    )
    bad = http.post(
        "/webhooks/trello/acme/acme-board", content=body, headers={"X-Trello-Webhook": wrong}
    )
    assert (ok.status_code, bad.status_code) == (202, 401)
    [row] = inbox(sqlite_engine)
    assert row.payload["delivery"] == "a1"


def test_unknown_client_or_garbage_body_is_refused(web, sqlite_engine) -> None:  # type: ignore[no-untyped-def]
    """An unknown client is 401; a body that is not a JSON object is 400; nothing is stored."""
    http, _ = web
    assert http.post("/webhooks/jira/nobody/acme-jira", content=b"{}").status_code == 401
    body = b"[1, 2"
    response = http.post(
        "/webhooks/jira/acme/acme-jira", content=body, headers={"X-Hub-Signature": jira_sig(body)}
    )
    assert response.status_code == 400 and inbox(sqlite_engine) == []


OAUTH_CLIENT = """
name = "Initech"
[[connectors]]
kind = "jira"
id = "initech-jira"
url = "https://initech.atlassian.net"
auth = "oauth"
client_id_env = "APP_ID"
client_secret_env = "APP_SECRET"
refresh_token_env = "APP_REFRESH"
jql = "project = INI"
"""
OAUTH_ENV = {"APP_ID": "app-id", "APP_SECRET": "app-secret-value", "APP_REFRESH": "rt"}


def jwt(claims: dict[str, object], secret: str = "app-secret-value", alg: str = "HS256") -> str:
    def part(value: object) -> str:
        raw = json.dumps(value, separators=(",", ":")).encode()
        return base64.urlsafe_b64encode(raw).rstrip(b"=").decode()

    signed = f"{part({'alg': alg, 'typ': 'JWT'})}.{part(claims)}"
    mac = hmac.new(secret.encode(), signed.encode(), hashlib.sha256).digest()
    return f"{signed}.{base64.urlsafe_b64encode(mac).rstrip(b'=').decode()}"


def test_oauth_app_deliveries_are_checked_by_their_jwt(
    sqlite_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """A dynamic webhook's delivery is accepted with a JWT made with the app's secret; a JWT made
    with another secret, one that has expired, an unsigned one (`alg: none`) and none at all get
    401 and no inbox row. At the app's one URL, a delivery goes to the connector whose webhook
    it matched, and one matching none is answered and dropped."""
    (tmp_path / "initech.toml").write_text(OAUTH_CLIENT)
    client = load_client(tmp_path, "initech", env=OAUTH_ENV)
    sent: list[tuple[str, int | None]] = []
    receiver = Receiver(
        sqlite_engine, {"initech": client}, lambda k, i: sent.append((k, i)), base_url=BASE
    )
    http = AsgiClient(Starlette(routes=receiver.routes()))
    url = "/webhooks/jira/initech/initech-jira"
    now = int(time.time())
    body = b'{"webhookEvent": "jira:issue_updated", "matchedWebhookIds": [7]}'
    caplog.set_level(logging.WARNING)
    refused = []
    for token in (
        jwt({"iss": "app-id", "iat": now, "exp": now + 180}, secret="another-secret"),
        jwt({"iss": "app-id", "iat": now - 900, "exp": now - 600}),
        jwt({"iss": "app-id", "iat": now, "exp": now + 180}, alg="none").rsplit(".", 1)[0] + ".",
        "not-a-jwt",
    ):
        answer = http.post(url, content=body, headers={"Authorization": f"Bearer {token}"})
        refused.append(answer.status_code)
    refused.append(http.post(url, content=body).status_code)
    assert refused == [401] * 5 and inbox(sqlite_engine) == [] and sent == []
    good = jwt({"iss": "app-id", "iat": now, "exp": now + 180})
    accepted = http.post(
        url,
        content=body,
        headers={"Authorization": f"Bearer {good}", "X-Atlassian-Webhook-Identifier": "d-9"},
    )
    assert accepted.status_code == 202 and len(inbox(sqlite_engine)) == 1
    assert "bad signature" in caplog.text

    app_url = app_callback_path("app-id")
    forged = jwt({"iss": "app-id", "iat": now, "exp": now + 180}, secret="another-secret")
    refused_app = http.post(app_url, content=body, headers={"Authorization": f"Bearer {forged}"})
    unmatched = http.post(app_url, content=body, headers={"Authorization": f"Bearer {good}"})
    assert refused_app.status_code == 401
    assert (unmatched.status_code, unmatched.json()) == (200, {"status": "ignored"})
    assert http.post(app_callback_path("another-app"), content=body).status_code == 401
    with store.sessions(sqlite_engine).begin() as session:
        session.add(Webhook(client="initech", source="initech-jira", remote_id="7", callback=""))
    routed = http.post(
        app_url,
        content=body.replace(b"updated", b"created"),  # the same body again would be a repeat
        headers={"Authorization": f"Bearer {good}", "X-Atlassian-Webhook-Identifier": "d-10"},
    )
    assert routed.status_code == 202 and len(inbox(sqlite_engine)) == 2
