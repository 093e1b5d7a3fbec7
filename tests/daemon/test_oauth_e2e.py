"""A client whose Jira Cloud is reached as an Atlassian OAuth 2.0 app, against the sandbox over
real HTTP: pulls and pushes through the API gateway, the rotating refresh token kept in the
store, and a dynamic webhook registered, delivered with its JWT, extended and made again."""

from __future__ import annotations

import asyncio
import os
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import select
from starlette.applications import Starlette

from syncd import actors, pipeline, runtime, store
from syncd.connectors.jira import oauth
from syncd.daemon import extend_webhooks, register_webhooks
from syncd.db import Job, Webhook
from syncd.migrate import upgrade
from syncd.sandbox import Sandbox, SandboxConfig
from syncd.settings import Settings
from syncd.store.grants import GrantKeeper
from syncd.store.health import health
from syncd.store.items import count_items
from syncd.sync import pull
from syncd.web.webhooks import Receiver
from tests.daemon import harness as h

BASE = "http://syncd.test"
APP_ID, APP_SECRET = "syncd-app", "syncd-app-secret-value"
CLIENT = """\
name = "Initech"
timezone = "Europe/Berlin"

[[connectors]]
kind = "jira"
id = "initech-jira"
url = "{sandbox}/cloud"
auth = "oauth"
client_id_env = "O_APP_ID"
client_secret_env = "O_APP_SECRET"
refresh_token_env = "O_APP_REFRESH"
api_url = "{sandbox}/api"
auth_url = "{sandbox}/auth"
jql = "project = ACME"

[connectors.push]
issues = ["ACME-1"]

[[connectors]]
kind = "jira"
id = "initech-epics"
url = "{sandbox}/cloud"
auth = "oauth"
client_id_env = "O_APP_ID"
client_secret_env = "O_APP_SECRET"
refresh_token_env = "O_APP_REFRESH"
api_url = "{sandbox}/api"
auth_url = "{sandbox}/auth"
jql = "project = ACME AND issuetype = Epic"

[plan]
file = "../plans/plan.toml"

[[links]]
by = "epic"

[[links]]
by = "wbs_in_title"
"""


@pytest.fixture
def world(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[tuple[Sandbox, runtime.Runtime]]:
    oauth.forget_cached()
    with Sandbox(SandboxConfig(demo=True, seed=7)) as sb:
        sb.state.oauth.register_app(APP_ID, APP_SECRET)
        first = sb.state.oauth.grant(APP_ID)
        for name, value in {"O_APP_ID": APP_ID, "O_APP_SECRET": APP_SECRET}.items():
            monkeypatch.setenv(name, value)
        monkeypatch.setenv("O_APP_REFRESH", first)
        config = tmp_path / "config"
        (config / "clients").mkdir(parents=True)
        (config / "plans").mkdir()
        (config / "plans" / "plan.toml").write_text(h.PLAN.read_text())
        (config / "clients" / "initech.toml").write_text(CLIENT.format(sandbox=sb.url))
        settings = Settings(config_dir=config, data_dir=tmp_path / "data")
        rt = runtime.install(runtime.load(settings))
        upgrade(rt.engine)
        yield sb, rt
        rt.engine.dispose()
    oauth.forget_cached()


def cycle(rt: runtime.Runtime) -> list[tuple[str, int]]:
    client = rt.client("initech")
    asyncio.run(pull(rt.engine, client, "initech-jira"))
    queued = pipeline.reconcile_and_queue(rt.engine, client)
    for kind, job_id in queued:
        actors.execute(kind, job_id)
    return queued


def requests(sb: Sandbox, needle: str) -> int:
    return sum(n for route, n in sb.stats()["requests"].items() if needle in route)


def test_pulls_and_pushes_go_through_the_gateway_and_the_grant_survives_rotation(
    world: tuple[Sandbox, runtime.Runtime],
) -> None:
    """Every ACME issue arrives once through `/ex/jira/{cloudId}`, the status lands once, and
    after the access token lapses a new process (no cached token) refreshes with the stored,
    rotated refresh token: the one in the environment was used up by the first refresh."""
    sb, rt = world
    first = cycle(rt)
    acme = sum(1 for key in sb.state.issues if key.startswith("ACME-"))
    assert count_items(rt.engine, "initech", "initech-jira") == acme > 0
    assert [kind for kind, _ in first] == ["push"]
    client = rt.client("initech")
    grant = oauth.Grant.of(client.connector("initech-jira"), client.secrets["initech-jira"]).key
    kept = GrantKeeper(rt.engine).load(grant)
    assert kept is not None and kept != os.environ["O_APP_REFRESH"]
    assert requests(sb, "/cloud/rest") == 0 and requests(sb, "/api/ex/jira/") > 0

    oauth.forget_cached()  # as if the daemon had restarted
    sb.advance(hours=24)  # past the access token's hour, and the team moved work along
    cycle(rt)
    assert requests(sb, "/auth/oauth/token") == 2
    assert GrantKeeper(rt.engine).load(grant) not in (kept, None)
    with store.sessions(rt.engine)() as session:
        pushes = session.execute(select(Job).where(Job.kind == "push")).scalars().all()
    assert pushes and all(job.state == "done" for job in pushes)
    assert own_comments(sb) == 1


def own_comments(sb: Sandbox) -> int:
    """Comments on the status issue that carry syncd's comment property."""
    url = f"{sb.jira_oauth_url}/rest/api/3/issue/ACME-1/comment"
    token = httpx.post(
        f"{sb.atlassian_auth_url}/oauth/token",
        json={
            "grant_type": "refresh_token",
            "client_id": APP_ID,
            "client_secret": APP_SECRET,
            "refresh_token": sb.state.oauth.grant(APP_ID),
        },
    ).json()["access_token"]
    headers = {"Authorization": f"Bearer {token}"}
    comments = httpx.get(url, headers=headers, params={"expand": "properties"}).json()
    return sum(
        1
        for c in comments["comments"]
        if any(p.get("key", "").startswith("syncd") for p in c.get("properties", []))
    )


@pytest.mark.slow
def test_a_dynamic_webhook_is_registered_delivered_and_kept_alive(
    world: tuple[Sandbox, runtime.Runtime],
) -> None:
    """The daemon registers one dynamic webhook per connector's JQL, both at the app's one URL;
    a team change reaches the receiver with a JWT it accepts and lands in the inbox of each
    connector whose webhook it matched; the upkeep extends a webhook close to lapsing and makes
    it again when Jira has dropped it."""
    sb, rt = world
    register_webhooks(rt, BASE)
    register_webhooks(rt, BASE)  # a restart finds the same webhooks again
    hooks = sorted(sb.state.dynamic_webhooks.values(), key=lambda hook: hook.id)
    assert [hook.jql for hook in hooks] == ["project = ACME", "project = ACME AND issuetype = Epic"]
    urls = {hook.url for hook in hooks}
    assert len(urls) == 1
    with store.sessions(rt.engine)() as session:
        row = session.get(Webhook, ("initech", "initech-jira"))
        assert row is not None and row.expires is not None
        hook_id, expires = row.remote_id, row.expires

    mark = len(sb.deliveries)
    sb.advance(hours=24)
    sb.flush_webhooks(10)
    mine = [d for d in sb.deliveries[mark:] if d.url.startswith(BASE)]
    assert mine and all(d.headers["Authorization"].startswith("Bearer ") for d in mine)
    answers = post_to_receiver(rt, mine)
    assert set(answers) <= {202, 200} and 202 in answers
    epic_keys = {key for key, issue in sb.state.issues.items() if issue.issuetype == "Epic"}
    with store.sessions(rt.engine)() as session:
        inbox = session.execute(select(Job).where(Job.kind == "webhook")).scalars().all()
    by_source: dict[str, set[str]] = {}
    for job in inbox:
        by_source.setdefault(job.target, set()).add(job.payload["body"]["issue"]["key"])
    assert by_source["initech-jira"] and by_source["initech-epics"] <= epic_keys
    assert by_source["initech-epics"] <= by_source["initech-jira"]

    assert extend_webhooks(rt, now=expires - timedelta(days=20)) == 0  # not due yet
    assert extend_webhooks(rt, now=expires - timedelta(days=3)) == 2
    with store.sessions(rt.engine)() as session:
        row = session.get(Webhook, ("initech", "initech-jira"))
        assert row is not None and row.remote_id == hook_id
        assert row.expires is not None and row.expires > expires
        later = row.expires

    sb.state.dynamic_webhooks.clear()  # Jira dropped them (lapsed, or the app was reinstalled)
    assert extend_webhooks(rt, now=later - timedelta(days=1)) == 2
    with store.sessions(rt.engine)() as session:
        row = session.get(Webhook, ("initech", "initech-jira"))
        assert row is not None and row.remote_id != hook_id
    assert len(sb.state.dynamic_webhooks) == 2

    register_webhooks(rt, "http://moved.test")  # syncd now answers at another address
    assert {hook.url for hook in sb.state.dynamic_webhooks.values()} == {
        "http://moved.test" + next(iter(urls)).removeprefix(BASE)
    }
    assert len(sb.state.dynamic_webhooks) == 2


def post_to_receiver(rt: runtime.Runtime, deliveries: list) -> list[int]:  # type: ignore[type-arg]
    receiver = Receiver(rt.engine, rt.clients, lambda kind, job_id: None, base_url=BASE)
    app = Starlette(routes=receiver.routes())

    async def post_all() -> list[int]:
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url=BASE) as http:
            return [
                (
                    await http.post(d.url.removeprefix(BASE), content=d.body, headers=d.headers)
                ).status_code
                for d in deliveries
            ]

    return asyncio.run(post_all())


def test_a_webhook_that_cannot_be_kept_is_a_sync_problem_until_it_is(
    world: tuple[Sandbox, runtime.Runtime],
) -> None:
    """When the upkeep cannot extend a webhook (here the app's secret was changed at Atlassian
    and not in syncd), each connector shows an open webhook problem saying when it lapses; the
    next upkeep that succeeds closes them."""
    sb, rt = world
    register_webhooks(rt, BASE)
    with store.sessions(rt.engine)() as session:
        row = session.get(Webhook, ("initech", "initech-jira"))
        assert row is not None and row.expires is not None
        due = row.expires - timedelta(days=3)
    oauth.forget_cached()
    sb.state.oauth.register_app(APP_ID, "a-secret-syncd-does-not-know")
    assert extend_webhooks(rt, now=due) == 0
    problems = [p for p in health(rt.engine, "initech").problems if p.kind == "webhook"]
    assert sorted(p.source or "" for p in problems) == ["initech-epics", "initech-jira"]
    assert all("lapses" in p.message and "polling continues" in p.message for p in problems)
    assert all(APP_SECRET not in p.message for p in problems)
    sb.state.oauth.register_app(APP_ID, APP_SECRET)
    assert extend_webhooks(rt, now=due) == 2
    assert [p for p in health(rt.engine, "initech").problems if p.kind == "webhook"] == []
