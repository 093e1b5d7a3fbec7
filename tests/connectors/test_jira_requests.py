"""Each request the Jira connector sends, against respx routes, checked against the spec."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import pytest
import respx
from pydantic import SecretStr

from syncd.clock import FakeClock
from syncd.connectors.config import Secrets
from syncd.connectors.jira.config import JiraConfig, JiraPush
from syncd.connectors.jira.connector import JiraConnector
from syncd.connectors.jira.pull import build_jql
from syncd.connectors.jira.push import create_comment
from syncd.errors import AuthError
from syncd.model import PullResult
from syncd.testing import run, sample_status
from tests.contracts import contract_errors

CLOUD = "https://jira.test/cloud"
DC = "https://jira.test/dc"
FIELDS = [{"id": "customfield_10016", "name": "Story Points", "schema": {"type": "number"}}]
ME = {"accountId": "557058:bot", "timeZone": "Europe/Berlin", "displayName": "syncd"}


def issue(n: int, updated: str = "2026-11-20T10:00:00.000+0100") -> dict[str, Any]:
    return {
        "id": str(10000 + n),
        "key": f"ACME-{n}",
        "fields": {
            "summary": f"Issue {n}",
            "status": {"name": "To Do", "statusCategory": {"key": "new"}},
            "updated": updated,
            "customfield_10016": 3,
        },
    }


def connector(
    *, cloud: bool = True, clock: FakeClock | None = None, **changes: Any
) -> JiraConnector:
    values: dict[str, Any] = {
        "kind": "jira",
        "id": "acme-jira",
        "url": CLOUD if cloud else DC,
        "deployment": "cloud" if cloud else "datacenter",
        "email": "bot@example.com" if cloud else None,
        "token_env": "JIRA_TOKEN",
        "jql": "project = ACME ORDER BY rank",
    }
    config, secrets = JiraConfig(**(values | changes)), Secrets(token=SecretStr("s3cret"))
    if clock is not None:
        return JiraConnector(config, secrets, clock=clock)
    return JiraConnector(config, secrets)


def request_problems(router: respx.MockRouter) -> list[str]:
    """Problems of the requests (answers here are hand-written fixtures)."""
    return [
        problem
        for call in router.calls
        for problem in contract_errors(call.request, call.response)
        if ": request: " in problem
    ]


def meta_routes(router: respx.MockRouter, base: str, version: int) -> None:
    router.get(f"{base}/rest/api/{version}/myself").respond(json=ME)
    router.get(f"{base}/rest/api/{version}/field").respond(json=FIELDS)


async def pages_of(conn: JiraConnector, since: datetime | None = None) -> list[PullResult]:
    try:
        return [page async for page in conn.pull(since)]
    finally:
        await conn.aclose()


def test_jql_is_bounded_ordered_and_in_the_account_zone() -> None:
    """Cursor minus two minutes, in the account's zone, to the minute; ORDER BY replaced."""
    since = datetime(2026, 11, 20, 9, 30, 45, tzinfo=UTC)
    jql = build_jql("project = ACME order by rank", since, ZoneInfo("Europe/Berlin"), order="key")
    assert jql == '(project = ACME) AND updated >= "2026-11-20 10:28" ORDER BY key'


def test_cloud_incremental_pull_is_one_search() -> None:
    """An incremental Cloud pull sends one POST /search/jql with the needed fields and JQL."""
    with respx.mock(assert_all_called=True) as router:
        meta_routes(router, CLOUD, 3)
        search = router.post(f"{CLOUD}/rest/api/3/search/jql").respond(
            json={"issues": [issue(1)], "isLast": True}
        )
        since = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        pages = run(pages_of(connector(), since))
    body = json.loads(search.calls.last.request.content)
    assert body["jql"].startswith('(project = ACME) AND updated >= "2026-11-20 09:58"')
    assert "customfield_10016" in body["fields"] and body["expand"] == "changelog"
    assert pages[-1].items[0].story_points == 3.0
    assert pages[-1].cursor == datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
    assert request_problems(router) == []


@pytest.mark.parametrize("first_pull", [False, True], ids=["incremental", "first-pull"])
def test_cloud_big_pull_lists_ids_then_fetches_in_bulk(first_pull: bool) -> None:
    """More than one page: ids listed with nextPageToken, details by bulkfetch, none twice. A
    pull, a first one too, reads one full page of the newest changes first (often all there
    is, and what dates the pull), then lists the ids of the rest."""
    full_searches: list[dict[str, Any]] = []
    with respx.mock() as router:
        meta_routes(router, CLOUD, 3)

        def search(request: httpx.Request) -> httpx.Response:
            body = json.loads(request.content)
            if body["fields"] != ["id"]:
                full_searches.append(body)
                return httpx.Response(200, json={"issues": [issue(1)], "nextPageToken": "p2"})
            if "nextPageToken" not in body:
                ids = [{"id": str(10000 + n)} for n in (1, 2, 3)]
                return httpx.Response(200, json={"issues": ids, "nextPageToken": "L2"})
            return httpx.Response(200, json={"issues": [{"id": "10004"}], "isLast": True})

        def bulk(request: httpx.Request) -> httpx.Response:
            wanted = json.loads(request.content)["issueIdsOrKeys"]
            return httpx.Response(200, json={"issues": [issue(int(i) - 10000) for i in wanted]})

        router.post(f"{CLOUD}/rest/api/3/search/jql").mock(side_effect=search)
        fetch = router.post(f"{CLOUD}/rest/api/3/issue/bulkfetch").mock(side_effect=bulk)
        since = None if first_pull else datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        pages = run(pages_of(connector(page_size=2), since))
    keys = [item.key for page in pages for item in page.items]
    assert sorted(keys) == ["ACME-1", "ACME-2", "ACME-3", "ACME-4"]
    fetched = [json.loads(c.request.content)["issueIdsOrKeys"] for c in fetch.calls]
    assert len(full_searches) == 1
    assert full_searches[0]["jql"].endswith("ORDER BY updated DESC, key DESC")
    assert sorted(fetched) == [["10002", "10003"], ["10004"]]  # ACME-1 came with the page
    assert request_problems(router) == []


def test_cut_short_changelog_is_fetched_in_bulk() -> None:
    """An issue whose embedded changelog is truncated gets its status history from bulkfetch."""
    raw = issue(1) | {"changelog": {"total": 30, "maxResults": 0, "histories": []}}
    change = {
        "id": "1",
        "created": 1763629200000,
        "items": [{"fieldId": "status", "fromString": "To Do", "toString": "In Progress"}],
    }
    with respx.mock() as router:
        meta_routes(router, CLOUD, 3)
        router.post(f"{CLOUD}/rest/api/3/search/jql").respond(
            json={"issues": [raw], "isLast": True}
        )
        logs = router.post(f"{CLOUD}/rest/api/3/changelog/bulkfetch").respond(
            json={"issueChangeLogs": [{"issueId": "10001", "changeHistories": [change]}]}
        )
        pages = run(pages_of(connector(), datetime(2026, 11, 20, 9, 0, tzinfo=UTC)))
    assert json.loads(logs.calls.last.request.content)["fieldIds"] == ["status"]
    assert pages[-1].items[0].history[0].to_status == "In Progress"
    assert request_problems(router) == []


def test_datacenter_reads_the_effective_page_size_back() -> None:
    """Data Center: the first page holds the newest changes; more follow, so the whole result is
    paged in key order, the server's maxResults (smaller than asked) setting the offsets."""
    with respx.mock() as router:
        meta_routes(router, DC, 2)

        def search(request: httpx.Request) -> httpx.Response:
            start = int(request.url.params["startAt"])
            issues = [issue(n) for n in range(start + 1, min(start + 2, 5) + 1)]
            body = {"startAt": start, "maxResults": 2, "total": 5, "issues": issues}
            return httpx.Response(200, json=body)

        route = router.get(f"{DC}/rest/api/2/search").mock(side_effect=search)
        pages = run(pages_of(connector(cloud=False, page_size=50)))
    newest, *by_key = [c.request.url.params for c in route.calls]
    assert newest["jql"].endswith("ORDER BY updated DESC, key DESC") and newest["startAt"] == "0"
    assert all(p["jql"].endswith("ORDER BY key ASC") for p in by_key)
    assert sorted(int(p["startAt"]) for p in by_key) == [0, 2, 4]
    assert route.calls[0].request.headers["authorization"] == "Bearer s3cret"
    assert len({item.key for page in pages for item in page.items}) == 5


def test_429_with_retry_after_is_retried() -> None:
    """A 429 with Retry-After is waited out and the request sent again."""
    with respx.mock() as router:
        meta_routes(router, CLOUD, 3)
        router.post(f"{CLOUD}/rest/api/3/search/jql").mock(
            side_effect=[
                httpx.Response(429, headers={"Retry-After": "0"}),
                httpx.Response(200, json={"issues": [issue(1)], "isLast": True}),
            ]
        )
        pages = run(pages_of(connector(), datetime(2026, 11, 20, 9, 0, tzinfo=UTC)))
    assert len(pages[-1].items) == 1


def test_a_lost_comment_answer_is_retried_after_a_wait_on_the_connectors_clock() -> None:
    """A comment POST whose answer is lost, with no comment made, is sent again after a jittered
    wait (0.2 to 0.4 s for the first) that passes on the connector's clock."""
    clock = FakeClock()
    with respx.mock() as router:
        posts = router.post(f"{CLOUD}/rest/api/3/issue/ACME-1/comment").mock(
            side_effect=[httpx.ReadError("dropped"), httpx.Response(201, json={"id": "9"})]
        )
        router.get(f"{CLOUD}/rest/api/3/issue/ACME-1/comment").respond(
            json={"startAt": 0, "maxResults": 100, "total": 0, "comments": []}
        )
        conn = connector(clock=clock)
        start = clock.monotonic()

        async def create() -> str:
            try:
                return await create_comment(conn, sample_status(), "ACME-1")
            finally:
                await conn.aclose()

        assert run(create()) == "9"
    assert posts.call_count == 2
    assert 0.2 <= clock.monotonic() - start <= 0.4


@pytest.mark.parametrize("first_pull", [True, False], ids=["first-pull", "incremental"])
def test_401_raises_auth_error_once(first_pull: bool) -> None:
    """Refused credentials: AuthError after a single request, `/myself`, on a first pull too
    (a site that counts failed logins sees one)."""
    refused = {"status_code": 401, "json": {"errorMessages": ["no"]}}
    with respx.mock() as router:
        me = router.get(f"{CLOUD}/rest/api/3/myself").respond(**refused)
        since = None if first_pull else datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        with pytest.raises(AuthError):
            run(pages_of(connector(), since))
    assert me.call_count == 1  # any other request would have failed as not mocked


def test_missing_transition_is_a_warning() -> None:
    """When no transition leads to the wanted category the push warns instead of failing."""
    status = sample_status()
    marker = {"marker": "syncd:status", "client": status.client, "digest": status.digest}
    with respx.mock() as router:  # no RAG field configured: no field catalogue read
        router.get(f"{CLOUD}/rest/api/3/issue/ACME-1").respond(
            json={
                "id": "1",
                "key": "ACME-1",
                "fields": {
                    "labels": [],
                    "status": {"name": "To Do", "statusCategory": {"key": "new"}},
                },
                "properties": {"syncd.status": status.machine},
            }
        )
        router.get(f"{CLOUD}/rest/api/3/issue/ACME-1/comment").respond(
            json={
                "startAt": 0,
                "maxResults": 100,
                "total": 1,
                "comments": [{"id": "7", "properties": [{"key": "syncd", "value": marker}]}],
            }
        )
        router.get(f"{CLOUD}/rest/api/3/issue/ACME-1/transitions").respond(
            json={"transitions": [{"id": "11", "to": {"statusCategory": {"key": "new"}}}]}
        )
        conn = connector(push=JiraPush(issues=["ACME-1"], transitions=True))

        async def push() -> Any:
            try:
                return await conn.push(status, target="ACME-1", known={})
            finally:
                await conn.aclose()

        outcome = run(push())
    assert outcome.writes == 0 and not outcome.changed
    assert outcome.warnings == ("ACME-1: no transition leads to a 'indeterminate' status",)
    assert outcome.remote["comment_id"] == "7"
    assert request_problems(router) == []


def test_own_writes_are_recognised() -> None:
    """Webhooks about our labels, our property or our comment are ours; a status change is not."""
    conn = connector()
    labels = {
        "fieldId": "labels",
        "fromString": "api syncd-rag-red",
        "toString": "api syncd-rag-amber",
    }
    status = {"fieldId": "status", "fromString": "To Do", "toString": "Done"}
    assert conn.is_own_write(
        {"webhookEvent": "jira:issue_updated", "changelog": {"items": [labels]}}
    )
    assert not conn.is_own_write(
        {"webhookEvent": "jira:issue_updated", "changelog": {"items": [status]}}
    )
    assert conn.is_own_write(
        {"webhookEvent": "issue_property_set", "property": {"key": "syncd.status"}}
    )
    conn.remember_comment("42")
    assert conn.is_own_write({"webhookEvent": "comment_updated", "comment": {"id": "42"}})
    assert not conn.is_own_write(
        {"webhookEvent": "comment_created", "comment": {"id": "43", "body": "hi"}}
    )
    run(conn.aclose())


def test_secrets_stay_out_of_repr() -> None:
    """The connector's repr names the site, never the token."""
    conn = connector()
    assert "s3cret" not in repr(conn)
    run(conn.aclose())
