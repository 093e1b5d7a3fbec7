"""Injected faults and rate limits behave as configured; /_admin is never affected."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from syncd.sandbox import Faults, Sandbox, SandboxConfig


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    """A tiny sandbox per test, so fault settings do not leak."""
    with Sandbox(SandboxConfig(seed=4, jira_issues=20, trello_cards=10)) as sandbox:
        yield sandbox


def myself(sb: Sandbox, client: httpx.Client) -> httpx.Response:
    return client.get(
        f"{sb.jira_cloud_url}/rest/api/3/myself", auth=(sb.creds.jira_email, sb.creds.jira_token)
    )


def test_every_nth_jira_request_gets_429(sb: Sandbox) -> None:
    """`jira_429_every=3` makes every third Jira request a 429 with Retry-After."""
    sb.set_faults(Faults(jira_429_every=3, retry_after_s=7))
    with httpx.Client() as client:
        statuses = [myself(sb, client) for _ in range(6)]
    assert [r.status_code for r in statuses] == [200, 200, 429, 200, 200, 429]
    assert statuses[2].headers["Retry-After"] == "7"


def test_jira_budget_per_window(sb: Sandbox) -> None:
    """With `jira_limit=5` the sixth request in the window is a 429 with Retry-After."""
    sb.set_faults(Faults(jira_limit=5, jira_window_s=60))
    with httpx.Client() as client:
        codes = [myself(sb, client).status_code for _ in range(7)]
        refused = myself(sb, client)
    assert codes == [200] * 5 + [429, 429]
    assert 1 <= int(refused.headers["Retry-After"]) <= 60


def test_error_rate_one_gives_5xx(sb: Sandbox) -> None:
    """`error_rate=1` answers every request with 500, 502 or 503."""
    sb.set_faults(Faults(error_rate=1.0, seed=1))
    with httpx.Client() as client:
        codes = {myself(sb, client).status_code for _ in range(20)}
    assert codes <= {500, 502, 503} and len(codes) > 1


def test_error_statuses_can_be_chosen(sb: Sandbox) -> None:
    """`statuses=(401,)` answers every faulted request 401, with the status's own phrase."""
    sb.set_faults(Faults(error_rate=1.0, statuses=(401,)))
    with httpx.Client() as client:
        answers = [myself(sb, client) for _ in range(5)]
    assert {a.status_code for a in answers} == {401}


def test_faults_are_deterministic_per_seed(sb: Sandbox) -> None:
    """The same fault seed gives the same sequence of answers."""
    runs = []
    for _ in range(2):
        sb.set_faults(Faults(error_rate=0.3, seed=9))
        with httpx.Client() as client:
            runs.append([myself(sb, client).status_code for _ in range(15)])
    assert runs[0] == runs[1] and set(runs[0]) != {200}


def test_dropped_connection_is_a_transport_error(sb: Sandbox) -> None:
    """`drop_rate=1` closes the connection without an answer."""
    sb.set_faults(Faults(drop_rate=1.0))
    with httpx.Client() as client, pytest.raises((httpx.RemoteProtocolError, httpx.ReadError)):
        myself(sb, client)
    assert sb.stats()["faults"]["drop"] == 1


def test_admin_is_never_faulted(sb: Sandbox) -> None:
    """/_admin answers even when every other request fails."""
    sb.set_faults(Faults(error_rate=1.0, drop_rate=0.5))
    assert httpx.get(f"{sb.url}/_admin/stats").status_code == 200


def test_admin_sets_faults_over_http(sb: Sandbox) -> None:
    """POST /_admin/faults changes the faults of a running sandbox."""
    httpx.post(f"{sb.url}/_admin/faults", json={"jira_429_every": 1})
    with httpx.Client() as client:
        assert myself(sb, client).status_code == 429
    assert httpx.post(f"{sb.url}/_admin/faults", json={"bogus": 1}).status_code == 400


def test_trello_token_limit() -> None:
    """With Trello limits on, the request past the token budget is a 429 with Trello's JSON."""
    config = SandboxConfig(
        seed=4,
        jira_issues=5,
        trello_cards=5,
        trello_limits=True,
        trello_token_limit=10,
        trello_key_limit=30,
        trello_window_s=60,
    )
    with (
        Sandbox(config) as sandbox,
        httpx.Client(
            base_url=sandbox.trello_url,
            params={"key": sandbox.creds.trello_key, "token": sandbox.creds.trello_token},
        ) as client,
    ):
        answers = [client.get(f"/boards/{sandbox.board_ids[0]}/lists") for _ in range(11)]
    assert [a.status_code for a in answers] == [200] * 10 + [429]
    assert answers[-1].json() == {
        "error": "API_TOKEN_LIMIT_EXCEEDED",
        "message": "Rate limit exceeded",
    }
    assert answers[9].headers["x-rate-limit-api-token-remaining"] == "0"


def test_stats_count_routes_credentials_and_writes(sb: Sandbox) -> None:
    """stats() counts per route template and credential and logs writes."""
    sb.reset_stats()
    auth = (sb.creds.jira_email, sb.creds.jira_token)
    httpx.put(f"{sb.jira_cloud_url}/rest/api/3/issue/ACME-1/properties/p", json=1, auth=auth)
    httpx.get(f"{sb.jira_cloud_url}/rest/api/3/issue/ACME-1", auth=auth)
    stats = httpx.get(f"{sb.url}/_admin/stats").json()
    assert stats["requests"] == {
        "PUT /cloud/rest/api/3/issue/{key}/properties/{prop}": 1,
        "GET /cloud/rest/api/3/issue/{key}": 1,
    }
    assert stats["by_credential"] == {"jira-cloud:bot@example.com": 2}
    assert stats["writes"][0]["method"] == "PUT" and stats["bytes_out"] > 0


def test_latency_applies_to_api_not_admin(sb: Sandbox) -> None:
    """Latency is added through the admin API and reported back."""
    assert httpx.post(f"{sb.url}/_admin/latency", json={"ms": 5}).json() == {"latency_ms": 5}
    assert sb.ctx.latency_ms == 5
