"""The Jira connector as an Atlassian OAuth 2.0 app: access tokens, rotation, the gateway."""

from __future__ import annotations

import asyncio
import json
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from syncd.clock import FakeClock
from syncd.connectors.config import Secrets
from syncd.connectors.jira import oauth
from syncd.connectors.jira.config import JiraConfig
from syncd.connectors.jira.connector import JiraConnector
from syncd.connectors.jira.oauth import MemoryKeeper
from syncd.errors import AuthError
from syncd.testing import collect, run
from tests.connectors.test_jira_requests import FIELDS, ME, issue, request_problems

SITE = "https://acme.atlassian.net"
AUTH = "https://auth.atlassian.com/oauth/token"
RESOURCES = "https://api.atlassian.com/oauth/token/accessible-resources"
CLOUD_ID = "11223344-a1b2-4c3d-8e9f-001122334455"
GATEWAY = f"https://api.atlassian.com/ex/jira/{CLOUD_ID}"
SECRETS = Secrets(
    client_id=SecretStr("app-id"),
    client_secret=SecretStr("app-secret-value"),
    refresh_token=SecretStr("rt-env"),
)


@pytest.fixture(autouse=True)
def _fresh_cache() -> Iterator[None]:
    oauth.forget_cached()
    yield
    oauth.forget_cached()


def config(**changes: Any) -> JiraConfig:
    values: dict[str, Any] = {
        "kind": "jira",
        "id": "acme-jira",
        "url": SITE,
        "auth": "oauth",
        "client_id_env": "APP_ID",
        "client_secret_env": "APP_SECRET",
        "refresh_token_env": "APP_REFRESH",
        "jql": "project = ACME",
    }
    return JiraConfig(**(values | changes))


class Authority:
    """The token endpoint: rotating refresh tokens, numbered access tokens."""

    def __init__(self, valid: str = "rt-env") -> None:
        self.valid = {valid}
        self.issued = 0
        self.bodies: list[dict[str, Any]] = []

    def __call__(self, request: httpx.Request) -> httpx.Response:
        body = json.loads(request.content)
        self.bodies.append(body)
        if body["client_secret"] != "app-secret-value":
            return httpx.Response(401, json={"error": "access_denied"})
        if body["refresh_token"] not in self.valid:
            return httpx.Response(403, json={"error": "invalid_grant"})
        self.valid.discard(body["refresh_token"])
        self.issued += 1
        successor = f"rt-{self.issued}"
        self.valid.add(successor)
        return httpx.Response(
            200,
            json={
                "access_token": f"at-{self.issued}",
                "refresh_token": successor,
                "expires_in": 3600,
                "token_type": "Bearer",
                "scope": oauth.SCOPES,
            },
        )


def sites() -> httpx.Response:
    return httpx.Response(
        200,
        json=[
            {"id": "other", "url": "https://other.atlassian.net", "name": "other"},
            {"id": CLOUD_ID, "url": SITE, "name": "acme"},
        ],
    )


def test_a_pull_goes_through_the_gateway_with_a_bearer_token() -> None:
    """The first request buys an access token, finds the site's cloud id, and the search goes to
    the gateway with `Bearer`; the rotated refresh token is kept."""
    keeper = MemoryKeeper()
    authority = Authority()
    with respx.mock(assert_all_called=False) as router:
        router.post(AUTH).mock(side_effect=authority)
        resources = router.get(RESOURCES).mock(return_value=sites())
        router.get(f"{GATEWAY}/rest/api/3/myself").mock(return_value=httpx.Response(200, json=ME))
        router.get(f"{GATEWAY}/rest/api/3/field").mock(
            return_value=httpx.Response(200, json=FIELDS)
        )
        search = router.post(f"{GATEWAY}/rest/api/3/search/jql").mock(
            return_value=httpx.Response(200, json={"issues": [issue(1)], "isLast": True})
        )
        conn = JiraConnector(config(), SECRETS, keeper=keeper)
        pages = run(collect(conn, datetime(2026, 11, 20, tzinfo=UTC)))
    assert [i.key for page in pages for i in page.items] == ["ACME-1"]
    assert search.calls and all(
        c.request.headers["authorization"] == "Bearer at-1"
        for c in router.calls
        if "ex/jira" in str(c.request.url)
    )
    assert resources.call_count == 1 and authority.issued == 1
    assert request_problems(router) == []
    assert keeper.load(oauth.Grant.of(config(), SECRETS).key) == "rt-1"
    assert authority.bodies[0] == {
        "grant_type": "refresh_token",
        "client_id": "app-id",
        "client_secret": "app-secret-value",
        "refresh_token": "rt-env",
    }


def test_the_stored_refresh_token_wins_and_a_used_one_falls_back() -> None:
    """The keeper's newer token is tried first; when it is refused as used, the environment's
    is tried next (a grant authorised again)."""
    keeper = MemoryKeeper()
    grant = oauth.Grant.of(config(cloud_id=CLOUD_ID), SECRETS)
    keeper.save(grant.key, "rt-old-rotated")
    authority = Authority(valid="rt-env")
    with respx.mock(assert_all_called=False) as router:
        router.post(AUTH).mock(side_effect=authority)
        token = run(oauth.AtlassianOAuth(grant, keeper=keeper).access_token())
    assert token == "at-1"
    assert [b["refresh_token"] for b in authority.bodies] == ["rt-old-rotated", "rt-env"]
    assert keeper.load(grant.key) == "rt-1"


def test_access_tokens_are_shared_by_connectors_of_one_grant() -> None:
    """Connectors of one grant (two jobs; another site the same consent covers) buy one access
    token between them, not one each: every refresh rotates the refresh token. Another grant
    of the same app buys its own."""
    keeper = MemoryKeeper()
    authority = Authority()
    authority.valid.add("rt-other-grant")
    other = Secrets(
        client_id=SecretStr("app-id"),
        client_secret=SecretStr("app-secret-value"),
        refresh_token=SecretStr("rt-other-grant"),
    )
    with respx.mock(assert_all_called=False) as router:
        router.post(AUTH).mock(side_effect=authority)
        router.get(RESOURCES).mock(return_value=sites())
        for gateway in (GATEWAY, "https://api.atlassian.com/ex/jira/other"):
            router.get(f"{gateway}/rest/api/3/myself").mock(
                return_value=httpx.Response(200, json=ME)
            )
        for conf in (config(), config(), config(url="https://other.atlassian.net")):
            conn = JiraConnector(conf, SECRETS, keeper=keeper)
            run(conn.check_account())
            run(conn.aclose())
        assert authority.issued == 1
        conn = JiraConnector(config(), other, keeper=keeper)
        run(conn.check_account())
        run(conn.aclose())
    assert authority.issued == 2
    assert len(keeper.tokens) == 2


def test_a_refused_access_token_is_renewed_once() -> None:
    """A 401 from Jira (token revoked early) buys a new access token and repeats the request."""
    authority = Authority()
    answers = iter([httpx.Response(401, json={"code": 401}), httpx.Response(200, json=ME)])
    with respx.mock(assert_all_called=False) as router:
        router.post(AUTH).mock(side_effect=authority)
        me = router.get(f"{GATEWAY}/rest/api/3/myself").mock(side_effect=lambda _: next(answers))
        conn = JiraConnector(config(cloud_id=CLOUD_ID), SECRETS, keeper=MemoryKeeper())
        run(conn.check_account())
    assert [c.request.headers["authorization"] for c in me.calls] == [
        "Bearer at-1",
        "Bearer at-2",
    ]


def test_a_refused_app_secret_is_an_auth_error_without_the_secret() -> None:
    """A wrong client secret is an AuthError naming the site, never the secret."""
    wrong = Secrets(
        client_id=SecretStr("app-id"),
        client_secret=SecretStr("not-the-secret"),
        refresh_token=SecretStr("rt-env"),
    )
    with respx.mock(assert_all_called=False) as router:
        router.post(AUTH).mock(side_effect=Authority())
        conn = JiraConnector(config(cloud_id=CLOUD_ID), wrong, keeper=MemoryKeeper())
        with pytest.raises(AuthError) as caught:
            run(conn.check_account())
    assert SITE in str(caught.value) and "not-the-secret" not in str(caught.value)


def test_a_dead_refresh_token_says_how_to_recover() -> None:
    """Every refresh token refused: an AuthError that names the environment variable to set."""
    with respx.mock(assert_all_called=False) as router:
        router.post(AUTH).mock(side_effect=Authority(valid="something-else"))
        conn = JiraConnector(config(cloud_id=CLOUD_ID), SECRETS, keeper=MemoryKeeper())
        with pytest.raises(AuthError, match="APP_REFRESH"):
            run(conn.check_account())


def test_a_grant_without_the_site_names_the_sites_it_has() -> None:
    """A grant made on another site: the error lists the sites the grant covers."""
    with respx.mock(assert_all_called=False) as router:
        router.post(AUTH).mock(side_effect=Authority())
        router.get(RESOURCES).mock(
            return_value=httpx.Response(
                200, json=[{"id": "x", "url": "https://other.atlassian.net"}]
            )
        )
        conn = JiraConnector(config(), SECRETS, keeper=MemoryKeeper())
        with pytest.raises(AuthError, match=r"other\.atlassian\.net"):
            run(conn.check_account())


def test_oauth_config_is_checked() -> None:
    """OAuth needs its three variables and Jira Cloud; token auth still needs token_env."""
    with pytest.raises(ValueError, match="refresh_token_env"):
        config(refresh_token_env=None)
    with pytest.raises(ValueError, match="Data Center"):
        config(deployment="datacenter")
    with pytest.raises(ValueError, match="token_env"):
        JiraConfig(kind="jira", id="j", url=SITE, email="e@x", jql="project = A")
    assert "app-secret-value" not in repr(oauth.Grant.of(config(), SECRETS))


def test_threads_refresh_a_grant_once() -> None:
    """Worker threads that all find the access token missing at once refresh the grant once
    and share the answer; the others do not spend (and rotate) the refresh token again."""
    authority = Authority()
    keeper = MemoryKeeper()
    start = threading.Barrier(4)
    errors: list[BaseException] = []

    def job() -> None:
        conn = JiraConnector(config(cloud_id=CLOUD_ID), SECRETS, keeper=keeper)
        start.wait()
        try:
            run(conn.check_account())
        except BaseException as exc:
            errors.append(exc)
        finally:
            run(conn.aclose())

    with respx.mock(assert_all_called=False) as router:
        router.post(AUTH).mock(side_effect=authority)
        router.get(f"{GATEWAY}/rest/api/3/myself").mock(return_value=httpx.Response(200, json=ME))
        threads = [threading.Thread(target=job) for _ in range(4)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
    assert errors == [] and authority.issued == 1


def test_a_cancelled_wait_for_the_grant_holds_nothing() -> None:
    """A job cancelled while another thread refreshes its grant leaves the grant free: the next
    caller refreshes instead of waiting forever."""
    authority = Authority()
    grant = oauth.Grant.of(config(cloud_id=CLOUD_ID), SECRETS)
    auth = oauth.AtlassianOAuth(grant, keeper=MemoryKeeper())
    busy = oauth._gate(grant.key)
    busy.acquire()  # another thread is refreshing

    async def give_up() -> None:
        with pytest.raises(TimeoutError):
            await asyncio.wait_for(auth.access_token(), timeout=0.1)

    run(give_up())
    busy.release()  # that thread is done (and, here, got nothing)
    with respx.mock(assert_all_called=False) as router:
        router.post(AUTH).mock(side_effect=authority)
        token = run(asyncio.wait_for(oauth.AtlassianOAuth(grant).access_token(), timeout=5))
    assert token == "at-1" and authority.issued == 1


def test_an_access_token_lapses_on_the_connectors_clock() -> None:
    """An access token is reused until a minute before its stated hour has passed on the
    connector's clock, then bought again (a fake clock: no hour passes)."""
    authority, keeper, clock = Authority(), MemoryKeeper(), FakeClock()
    with respx.mock(assert_all_called=False) as router:
        router.post(AUTH).mock(side_effect=authority)
        me = router.get(f"{GATEWAY}/rest/api/3/myself").mock(
            return_value=httpx.Response(200, json=ME)
        )

        def check() -> None:
            conn = JiraConnector(config(cloud_id=CLOUD_ID), SECRETS, keeper=keeper, clock=clock)
            run(conn.check_account())
            run(conn.aclose())

        check()
        clock.advance(3600 - oauth.EARLY - 1)
        check()
        assert authority.issued == 1
        clock.advance(1)
        check()
    assert authority.issued == 2
    assert me.calls[-1].request.headers["authorization"] == "Bearer at-2"


def test_a_wait_for_another_threads_refresh_polls_on_the_clock() -> None:
    """While another thread refreshes the grant, a connector polls for it on its clock (fake
    seconds pass, not real ones), and takes the grant once it is free."""
    authority, clock = Authority(), FakeClock()
    grant = oauth.Grant.of(config(cloud_id=CLOUD_ID), SECRETS)
    busy = oauth._gate(grant.key)
    busy.acquire()  # another thread is refreshing

    async def scenario() -> str:
        waiting = asyncio.ensure_future(oauth.AtlassianOAuth(grant, clock=clock).access_token())
        start = clock.monotonic()
        for _ in range(100_000):  # until fifty polls of the gate have passed
            if clock.monotonic() - start >= 1.0:
                break
            await asyncio.sleep(0)
        assert clock.monotonic() - start >= 1.0 and not waiting.done()
        busy.release()
        return await waiting

    with respx.mock(assert_all_called=False) as router:
        router.post(AUTH).mock(side_effect=authority)
        assert run(scenario()) == "at-1"
    assert authority.issued == 1
