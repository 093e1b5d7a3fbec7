"""Webhook receivers refuse what they cannot trust: unverifiable connectors, unknown ids (alike),
repeated bodies, oversized bodies (unread), JSON the store cannot keep; old inbox rows expire."""

from __future__ import annotations

import asyncio
import json
import logging
import time
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select, update
from sqlalchemy.engine import Engine
from starlette.applications import Starlette

from syncd import store
from syncd.clients import Client, load_client
from syncd.connectors.jira.webhooks import app_callback_path
from syncd.connectors.trello.signing import trello_signature
from syncd.db import Job, WebhookDigest
from syncd.model import utcnow
from syncd.scheduler import Scheduler
from syncd.store import inbox
from syncd.web.webhooks import MAX_BODY, REFUSED, Receiver
from tests.daemon import test_webhooks as base
from tests.daemon.test_webhooks import BASE, OAUTH_CLIENT, OAUTH_ENV, AsgiClient, jira_sig, jwt
from tests.daemon.test_webhooks import client as client  # the fixtures, for this module too
from tests.daemon.test_webhooks import web as web

inbox_rows = base.inbox

JIRA = "/webhooks/jira/acme/acme-jira"
TRELLO = "/webhooks/trello/acme/acme-board"

UNSIGNED_CLIENT = """
name = "Bare"
[[connectors]]
kind = "jira"
id = "bare-jira"
url = "https://bare.atlassian.net"
email = "bot@bare.example"
token_env = "T"
jql = "project = BARE"
[[connectors]]
kind = "trello"
id = "bare-board"
board = "b2"
key_env = "K"
token_env = "T"
"""


def receiver_app(engine: Engine, clients: dict[str, Client]) -> AsgiClient:
    receiver = Receiver(engine, clients, lambda kind, job_id: None, base_url=BASE)
    return AsgiClient(Starlette(routes=receiver.routes()))


def signed_jira(http: AsgiClient, body: bytes, delivery: str) -> httpx.Response:
    headers = {"X-Hub-Signature": jira_sig(body), "X-Atlassian-Webhook-Identifier": delivery}
    return http.post(JIRA, content=body, headers=headers)


def test_connector_without_a_secret_takes_no_delivery(
    sqlite_engine: Engine, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    """Jira and Trello connectors with no webhook secret refuse every delivery, signed or not,
    with 401; nothing is stored, and the refusal is logged once per connector."""
    (tmp_path / "bare.toml").write_text(UNSIGNED_CLIENT)
    bare = load_client(tmp_path, "bare", env={"T": "tok", "K": "key"})
    http = receiver_app(sqlite_engine, {"bare": bare})
    caplog.set_level(logging.WARNING)
    answers = []
    for n in range(3):
        body = json.dumps({"webhookEvent": "jira:issue_updated", "n": n}).encode()
        answers.append(http.post("/webhooks/jira/bare/bare-jira", content=body))
        answers.append(
            http.post(
                "/webhooks/jira/bare/bare-jira",
                content=body,
                headers={"X-Hub-Signature": jira_sig(body)},
            )
        )
        card = json.dumps({"action": {"id": f"a{n}"}}).encode()
        answers.append(http.post("/webhooks/trello/bare/bare-board", content=card))
    assert {(a.status_code, a.text) for a in answers} == {
        (401, json.dumps(REFUSED, separators=(",", ":")))
    }
    assert inbox_rows(sqlite_engine) == []
    warned = [r.getMessage() for r in caplog.records if "no secret to verify" in r.getMessage()]
    assert len(warned) == 2 and any("bare/bare-jira" in w for w in warned)


def test_unknown_and_known_ids_answer_alike(
    web: tuple[AsgiClient, list[object]], sqlite_engine: Engine
) -> None:
    """Unknown clients, connectors and apps get the very answer a known one gets for a bad
    signature, so ids cannot be told apart without a secret; HEAD answers 200 on any path."""
    http, _ = web
    body = b'{"webhookEvent": "jira:issue_updated"}'
    bad = {"X-Hub-Signature": "sha256=" + "0" * 64, "X-Trello-Webhook": "AAAA"}
    paths = [
        JIRA,
        "/webhooks/jira/nobody/acme-jira",
        "/webhooks/jira/acme/nothing",
        "/webhooks/jira/acme/acme-board",  # a Trello connector at the Jira endpoint
        TRELLO,
        "/webhooks/trello/nobody/acme-board",
        "/webhooks/trello/acme/acme-jira",
        app_callback_path("no-such-app"),
    ]
    answers = {path: http.post(path, content=body, headers=bad) for path in paths}
    shapes = {(a.status_code, a.text, a.headers["content-type"]) for a in answers.values()}
    assert len(shapes) == 1 and next(iter(shapes))[0] == 401
    heads = {http.head(p).status_code for p in (TRELLO, "/webhooks/trello/nobody/x")}
    assert heads == {200} and inbox_rows(sqlite_engine) == []


def test_signed_jira_body_resent_with_a_new_delivery_id_is_a_duplicate(
    web: tuple[AsgiClient, list[object]], sqlite_engine: Engine
) -> None:
    """A captured signed body replayed under fresh delivery ids is taken once; another body
    is still taken."""
    http, sent = web
    body = b'{"webhookEvent": "jira:issue_updated", "issue": {"key": "ACME-1"}}'
    answers = [signed_jira(http, body, f"d-{n}").status_code for n in range(3)]
    without_id = http.post(JIRA, content=body, headers={"X-Hub-Signature": jira_sig(body)})
    other = b'{"webhookEvent": "jira:issue_updated", "issue": {"key": "ACME-2"}}'
    assert answers == [202, 200, 200] and without_id.status_code == 200
    assert signed_jira(http, other, "d-9").status_code == 202
    assert len(inbox_rows(sqlite_engine)) == 2 and len(sent) == 2


def test_oauth_app_body_resent_with_a_new_delivery_id_is_a_duplicate(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """At an OAuth app's URL too, the same body under a new delivery id (and a fresh JWT, which
    signs no body) is a repeat."""
    from syncd.db import Webhook

    (tmp_path / "initech.toml").write_text(OAUTH_CLIENT)
    app_client = load_client(tmp_path, "initech", env=OAUTH_ENV)
    http = receiver_app(sqlite_engine, {"initech": app_client})
    with store.sessions(sqlite_engine).begin() as session:
        session.add(Webhook(client="initech", source="initech-jira", remote_id="7", callback=""))
    body = b'{"webhookEvent": "jira:issue_updated", "matchedWebhookIds": [7]}'
    codes = []
    for n in range(2):
        now = int(time.time())
        token = jwt({"iss": "app-id", "iat": now, "exp": now + 180})
        headers = {"Authorization": f"Bearer {token}", "X-Atlassian-Webhook-Identifier": f"d{n}"}
        codes.append(http.post(app_callback_path("app-id"), content=body, headers=headers))
    assert [c.status_code for c in codes] == [202, 200]
    assert len(inbox_rows(sqlite_engine)) == 1


def test_trello_body_resent_is_a_duplicate(
    web: tuple[AsgiClient, list[object]], sqlite_engine: Engine
) -> None:
    """A signed Trello body posted twice is one inbox row."""
    http, _ = web
    body = json.dumps({"action": {"id": "a7", "type": "updateCard"}}).encode()
    signature = trello_signature("app-secret", body, BASE + TRELLO)
    codes = [
        http.post(TRELLO, content=body, headers={"X-Trello-Webhook": signature}).status_code
        for _ in range(2)
    ]
    assert codes == [202, 200] and len(inbox_rows(sqlite_engine)) == 1


async def counted(total: int, sent: list[int], *, chunk: int = 65536) -> AsyncIterator[bytes]:
    """`total` bytes of a JSON-looking body, `chunk` at a time, counting what was taken."""
    block = b"x" * chunk
    while sum(sent) < total:
        sent.append(chunk)
        yield block


@pytest.mark.parametrize("path", [JIRA, TRELLO, "/webhooks/jira/nobody/x", app_callback_path("a")])
def test_oversized_streamed_body_is_refused_without_reading_the_rest(
    web: tuple[AsgiClient, list[object]], sqlite_engine: Engine, path: str
) -> None:
    """A 50 MB body without Content-Length gets 413 (and `Connection: close`) once its first
    MAX_BODY bytes are past; the rest is never read, and nothing is stored."""
    http, _ = web
    sent: list[int] = []
    response = http.post(path, content=counted(50_000_000, sent))
    assert response.status_code == 413 and response.headers["connection"] == "close"
    assert "at most" in response.json()["error"]
    assert MAX_BODY < sum(sent) <= MAX_BODY + 2 * 65536
    assert inbox_rows(sqlite_engine) == []


def test_declared_oversized_body_is_refused_before_reading(
    web: tuple[AsgiClient, list[object]],
) -> None:
    """A Content-Length above MAX_BODY gets 413 before a byte of the body is read."""
    http, _ = web
    sent: list[int] = []
    headers = {"Content-Length": str(500_000_000)}
    response = http.post(JIRA, content=counted(500_000_000, sent), headers=headers)
    assert response.status_code == 413 and sum(sent) == 0


@pytest.mark.parametrize(
    ("text", "says"),
    [
        ('{"n": 18446744073709551616}', "64-bit"),
        ('{"n": -9223372036854775809}', "64-bit"),
        ('{"s": "\\ud800"}', "surrogate"),
        ('{"deep": ' + "[" * 300 + "]" * 300 + "}", "ecursion"),
        ('{"deep": ' + "[" * 200_000 + "]" * 200_000 + "}", "too deeply"),
        ('{"n": ' + "9" * 5000 + "}", "not a JSON object"),
    ],
)
def test_json_the_store_cannot_keep_is_a_400(
    web: tuple[AsgiClient, list[object]], sqlite_engine: Engine, text: str, says: str
) -> None:
    """A signed body with an integer outside 64 bits, a lone surrogate or deep nesting gets 400
    with a message saying what is wrong, never 500; nothing is stored."""
    http, _ = web
    body = text.encode()
    response = signed_jira(http, body, "d-1")
    assert response.status_code == 400 and says in response.json()["error"]
    assert inbox_rows(sqlite_engine) == []


def test_largest_64_bit_integers_are_kept(
    web: tuple[AsgiClient, list[object]], sqlite_engine: Engine
) -> None:
    """Integers at the edges of the 64-bit ranges are stored as they came."""
    http, _ = web
    body = b'{"big": 18446744073709551615, "small": -9223372036854775808}'
    assert signed_jira(http, body, "d-1").status_code == 202
    [row] = inbox_rows(sqlite_engine)
    assert row.payload["body"] == {"big": 2**64 - 1, "small": -(2**63)}


def age_everything(engine: Engine, days: float) -> None:
    then = utcnow() - timedelta(days=days)
    with store.sessions(engine).begin() as session:
        session.execute(update(Job).values(updated=then))
        session.execute(update(WebhookDigest).values(seen=then))


def counts(engine: Engine) -> tuple[int, int]:
    with store.sessions(engine)() as session:
        rows = session.execute(select(func.count()).select_from(Job)).scalar_one()
        keys = session.execute(select(func.count()).select_from(WebhookDigest)).scalar_one()
        return int(rows), int(keys)


def test_ended_inbox_rows_and_digests_expire_after_the_retention(
    web: tuple[AsgiClient, list[object]], sqlite_engine: Engine
) -> None:
    """Done and dead inbox rows and body digests older than the retention are deleted; newer
    ones, pending rows and other jobs stay; once expired, the same delivery is taken again."""
    http, _ = web
    body = b'{"webhookEvent": "jira:issue_updated"}'
    assert signed_jira(http, body, "d-1").status_code == 202
    with store.sessions(sqlite_engine).begin() as session:
        session.execute(update(Job).values(state="done"))
    assert inbox.expire(sqlite_engine, keep=timedelta(days=7)) == 0
    age_everything(sqlite_engine, 3)
    assert inbox.expire(sqlite_engine, keep=timedelta(days=7)) == 0
    assert signed_jira(http, body, "d-1").status_code == 200  # still remembered
    age_everything(sqlite_engine, 8)
    assert inbox.expire(sqlite_engine, keep=timedelta(days=7)) == 2
    assert counts(sqlite_engine) == (0, 0)
    assert signed_jira(http, body, "d-1").status_code == 202
    age_everything(sqlite_engine, 30)  # pending: not ended, so kept; its digest goes
    assert inbox.expire(sqlite_engine, keep=timedelta(days=7)) == 1
    assert counts(sqlite_engine) == (1, 0)


def test_the_scheduler_expires_old_inbox_rows(
    web: tuple[AsgiClient, list[object]], sqlite_engine: Engine
) -> None:
    """A scheduler step runs the inbox expiry with its configured retention."""
    http, _ = web
    assert signed_jira(http, b'{"webhookEvent": "x"}', "d-1").status_code == 202
    with store.sessions(sqlite_engine).begin() as session:
        session.execute(update(Job).values(state="dead"))
    age_everything(sqlite_engine, 2)
    Scheduler(sqlite_engine, [], lambda k, i: None, inbox_retention=timedelta(days=1)).step()
    assert counts(sqlite_engine) == (0, 0)


def test_body_of_a_sender_that_goes_away_is_not_stored(
    web: tuple[AsgiClient, list[object]], sqlite_engine: Engine
) -> None:
    """A sender that disconnects halfway through its body leaves no row and no server error."""
    http, _ = web

    async def scope_with_disconnect() -> list[dict[str, object]]:
        app = http.transport.app
        messages: list[dict[str, object]] = []
        incoming = iter(
            [
                {"type": "http.request", "body": b'{"webhookEvent"', "more_body": True},
                {"type": "http.disconnect"},
            ]
        )

        async def receive() -> dict[str, object]:
            return next(incoming)

        async def send(message: dict[str, object]) -> None:
            messages.append(message)

        scope = {
            "type": "http",
            "method": "POST",
            "path": JIRA,
            "raw_path": JIRA.encode(),
            "query_string": b"",
            "headers": [],
            "scheme": "http",
            "server": ("x", 80),
            "client": ("127.0.0.1", 1),
            "root_path": "",
            "http_version": "1.1",
            "asgi": {"version": "3.0"},
        }
        await app(scope, receive, send)  # type: ignore[arg-type]
        return messages

    messages = asyncio.run(scope_with_disconnect())
    assert messages[0]["status"] == 400 and inbox_rows(sqlite_engine) == []


json_leaves = (
    st.none()
    | st.booleans()
    | st.integers()  # well past 64 bits either way
    | st.floats()  # NaN and the infinities too
    | st.text(st.characters(min_codepoint=0xD7F0, max_codepoint=0xE010) | st.characters())
)
json_objects = st.dictionaries(
    st.text(max_size=8),
    st.recursive(json_leaves, lambda kids: st.lists(kids) | st.dictionaries(st.text(), kids)),
    max_size=4,
)


@settings(max_examples=80, deadline=None, suppress_health_check=list(HealthCheck))
@given(value=json_objects)
def test_any_signed_json_object_is_taken_or_refused_never_a_server_error(
    sqlite_engine: Engine, client: Client, value: dict[str, object]
) -> None:
    """Whatever a signed JSON object holds, the answer is 202, 200 or 400 with a message."""
    http = receiver_app(sqlite_engine, {"acme": client})
    body = json.dumps(value).encode()
    response = signed_jira(http, body, "d-" + jira_sig(body)[-12:])
    assert response.status_code in (200, 202) or (
        response.status_code == 400 and response.json()["error"]
    )
