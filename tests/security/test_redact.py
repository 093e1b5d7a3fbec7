"""Secrets stay out of errors, log lines and stored problems, wherever they sit in a URL."""

from __future__ import annotations

import asyncio
import logging
from datetime import timedelta

import httpx
import pytest
import respx
from pydantic import SecretStr
from sqlalchemy.engine import Engine

from syncd import http, redact, store
from syncd.connectors.config import Secrets
from syncd.connectors.jira import oauth
from syncd.connectors.jira.config import JiraConfig
from syncd.connectors.trello.config import TrelloConfig
from syncd.connectors.trello.webhooks import register_trello
from syncd.db import Job, Run, SyncError
from syncd.errors import PermanentError, TransientError
from syncd.model import utcnow
from syncd.store import jobs
from syncd.store.health import health
from syncd.store.problems import record_error
from syncd.store.runs import finish_run, start_run
from syncd.store.work import JobKind, PullJob

TRELLO = "https://trello.example/1"


def trello(token: str) -> tuple[TrelloConfig, Secrets]:
    config = TrelloConfig(
        kind="trello", id="board", url=TRELLO, board="b1", key_env="K", token_env="T"
    )
    return config, Secrets(key=SecretStr("trello-key-0001"), token=SecretStr(token))


@pytest.mark.parametrize(
    ("line", "secret"),
    [
        ("GET https://api.trello.com/1/tokens/tok-unseen-123/webhooks", "tok-unseen-123"),
        ("GET /1/boards/b?key=k-unseen-456&fields=name", "k-unseen-456"),
        ("see https://x.example/cb?access_token=at-unseen-789#top", "at-unseen-789"),
        ("db postgresql://syncd:pw-unseen-012@db.example/syncd", "pw-unseen-012"),
        ("GET /api?client_secret=cs-unseen-345&x=1", "cs-unseen-345"),
    ],
)
def test_url_shapes_are_masked_without_knowing_the_value(line: str, secret: str) -> None:
    """A secret in a URL's path, query or userinfo is masked even when syncd never read it."""
    masked = redact.text(line)
    assert secret not in masked and redact.MASK in masked


def test_known_values_are_masked_anywhere_and_other_text_is_kept() -> None:
    """A remembered credential is masked wherever it appears; the text around it stays."""
    redact.remember("kv-secret-value-1")
    assert redact.text("body: {'echo': 'kv-secret-value-1'}") == "body: {'echo': '***'}"
    assert redact.text("GET /1/boards/b?fields=name") == "GET /1/boards/b?fields=name"


@respx.mock
def test_trello_registration_failure_hides_the_token_in_its_path(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Registering a Trello webhook lists `/1/tokens/<token>/webhooks`: when that fails, neither
    the error nor any log line (httpx's request lines at DEBUG included) shows the token."""
    caplog.set_level(logging.DEBUG)
    # httpx's own level too: a test before this one in the same process may have set up syncd's
    # logging, which quiets httpx to WARNING (its request lines would then never be written)
    caplog.set_level(logging.DEBUG, logger="httpx")
    token = "trello-token-in-path-1"
    respx.get(f"{TRELLO}/tokens/{token}/webhooks").mock(
        return_value=httpx.Response(503, headers={"Retry-After": "0"})
    )
    config, secrets = trello(token)
    with pytest.raises(TransientError) as info:
        asyncio.run(register_trello(config, secrets, "https://syncd.example/hook"))
    assert "/tokens/***/webhooks" in str(info.value)
    assert token not in str(info.value) and "trello-key-0001" not in str(info.value)
    assert "HTTP Request" in caplog.text  # httpx's line was there, masked
    assert token not in caplog.text and "trello-key-0001" not in caplog.text


@respx.mock
def test_dropped_connections_and_bad_bodies_name_the_request_without_secrets() -> None:
    """Transport errors and non-JSON answers name `METHOD /path` with the path's token masked."""
    token = "tok-dropped-conn-2"
    respx.get(f"https://x.example/1/tokens/{token}/webhooks").mock(
        side_effect=httpx.ConnectError("refused")
    )
    respx.get(f"https://x.example/1/tokens/{token}/boards").mock(
        return_value=httpx.Response(200, text="<html>")
    )
    remote = http.Remote(
        http.make_client("https://x.example"), service="trello", attempts=2, backoff=0.01
    )
    for path in (f"/1/tokens/{token}/webhooks", f"/1/tokens/{token}/boards"):
        with pytest.raises(TransientError) as info:
            asyncio.run(remote.json("GET", path))
        assert token not in str(info.value) and "/1/tokens/***/" in str(info.value)


@respx.mock
def test_a_token_endpoint_echoing_the_refresh_token_is_masked() -> None:
    """An OAuth token endpoint whose 400 answer repeats the refresh token: the error does not."""
    oauth.forget_cached()
    refresh = "refresh-echoed-3"
    respx.post("https://auth.example/oauth/token").mock(
        return_value=httpx.Response(
            400, json={"error": "invalid_request", "error_description": f"bad token {refresh}"}
        )
    )
    config = JiraConfig(
        kind="jira", id="j", url="https://site.example", auth="oauth", client_id_env="I",
        client_secret_env="S", refresh_token_env="R", auth_url="https://auth.example",
        api_url="https://api.example", jql="project = A",
    )  # fmt: skip
    secrets = Secrets(
        client_id=SecretStr("app"),
        client_secret=SecretStr("app-secret-4"),
        refresh_token=SecretStr(refresh),
    )
    auth = oauth.AtlassianOAuth(oauth.Grant.of(config, secrets))
    with pytest.raises(PermanentError) as info:
        asyncio.run(auth.access_token())
    assert "invalid_request" in str(info.value) and refresh not in str(info.value)


def test_stored_problems_runs_and_dead_letters_are_masked(sqlite_engine: Engine) -> None:
    """A message with a URL secret is stored masked: sync problems, pull runs, job errors."""
    line = "GET https://api.trello.com/1/tokens/tok-stored-5/webhooks?key=key-stored-6"
    record_error(sqlite_engine, "acme", kind="webhook", message=line, source="board")
    run_id = start_run(sqlite_engine, "acme", "board", "pull")
    finish_run(sqlite_engine, run_id, ok=False, error=line)
    with store.sessions(sqlite_engine).begin() as session:
        job = jobs.enqueue(session, PullJob(), "acme", target="board")
        assert job is not None
        session.flush()
        job_id = job.id
    claimed = jobs.claim(sqlite_engine, job_id, lease=timedelta(minutes=1), kind=JobKind.PULL)
    assert claimed is not None
    jobs.fail(sqlite_engine, claimed, line, permanent=True)
    with store.sessions(sqlite_engine)() as session:
        written = [
            *(e.message for e in session.query(SyncError)),
            *(r.error or "" for r in session.query(Run)),
            *(j.last_error or "" for j in session.query(Job)),
        ]
    assert len(written) == 3
    for message in written:
        assert "tok-stored-5" not in message and "key-stored-6" not in message
        assert "/1/tokens/***/webhooks" in message


def test_a_log_record_keeps_its_arguments_for_formatters_that_read_them(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Arguments are masked one by one (uvicorn's access log unpacks them), a secret formed by
    the template and an argument together masks the whole line, and exceptions are masked."""
    caplog.set_level(logging.INFO)
    log = logging.getLogger("tests.redact")
    log.info('%s - "%s %s"', "127.0.0.1", "GET", "/?token=tok-arg-7")
    log.info("GET /1/tokens/%s/webhooks", "tok-template-8")
    try:
        raise ValueError("GET /1/x?token=tok-exc-9")
    except ValueError:
        log.warning("failed", exc_info=True)
    first, second, third = caplog.records[-3:]
    assert isinstance(first.args, tuple) and first.args[2] == "/?token=***"
    assert second.getMessage() == "GET /1/tokens/***/webhooks"
    assert "tok-exc-9" not in (third.exc_text or "") and "token=***" in (third.exc_text or "")
    assert not any(s in caplog.text for s in ("tok-arg-7", "tok-template-8", "tok-exc-9"))


def test_problems_stored_before_masking_are_masked_when_shown(sqlite_engine: Engine) -> None:
    """A problem row written by an older syncd, token and all, is shown masked (pages, API and
    reports all read problems through `health`)."""
    line = "webhook not registered: GET /1/tokens/tok-old-row-10/webhooks: server error 503"
    with store.sessions(sqlite_engine).begin() as session:
        session.add(SyncError(client="acme", source="board", kind="webhook", message=line,
                              at=utcnow()))  # fmt: skip
    shown = [p.message for p in health(sqlite_engine, "acme").problems]
    assert shown == ["webhook not registered: GET /1/tokens/***/webhooks: server error 503"]
