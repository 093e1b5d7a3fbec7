"""Dated worklogs: embedded in the search, paged only for an issue with more than the search
holds, stored beside the items on both databases, and gone once deleted in Jira."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from sqlalchemy.engine import Engine

from syncd.connectors.jira.connector import JiraConnector
from syncd.model import Worklog
from syncd.sandbox import Sandbox, SandboxConfig
from syncd.sandbox.data import log_work
from syncd.sandbox.state import Issue
from syncd.store.items import load_items, load_worklogs
from syncd.store.pulls import get_cursor
from syncd.testing import run
from tests.connectors.harness_jira import jira_config, jira_secrets
from tests.connectors.test_jira_e2e import CLIENT, pull_into
from tests.connectors.test_jira_requests import (
    CLOUD,
    DC,
    connector,
    issue,
    meta_routes,
    pages_of,
    request_problems,
)
from tests.connectors.test_race_contract import Recording
from tests.contracts import contract_checking_client

SINCE = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)


def raw_log(n: int, day: int, hours: int) -> dict[str, Any]:
    return {
        "id": str(n),
        "started": f"2026-11-{day:02d}T09:00:00.000+0100",
        "timeSpentSeconds": hours * 3600,
    }


def with_logs(n: int, logs: list[dict[str, Any]], total: int) -> dict[str, Any]:
    raw = issue(n)
    raw["fields"]["worklog"] = {"startAt": 0, "maxResults": 20, "total": total, "worklogs": logs}
    raw["fields"]["timetracking"] = {"timeSpentSeconds": 3600 * 3 * total}
    return raw


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "dc"])
def test_only_an_issue_with_more_worklogs_than_embedded_is_paged(cloud: bool) -> None:
    """Issue 1's two worklogs are all embedded: no request for them. Issue 2 has 3, one
    embedded: its worklogs are paged (startAt 0, then 2) and all three are kept, dated."""
    base, version = (CLOUD, 3) if cloud else (DC, 2)
    first = with_logs(1, [raw_log(1, 2, 3), raw_log(2, 3, 3)], total=2)
    second = with_logs(2, [raw_log(3, 4, 3)], total=3)
    everything = [raw_log(3, 4, 3), raw_log(4, 5, 3), raw_log(5, 6, 3)]
    api = f"{base}/rest/api/{version}"

    def worklogs(request: httpx.Request) -> httpx.Response:
        start = int(request.url.params["startAt"])
        shown = everything[start : start + 2]
        return httpx.Response(
            200, json={"startAt": start, "maxResults": 2, "total": 3, "worklogs": shown}
        )

    with respx.mock(assert_all_called=False) as router:
        meta_routes(router, base, version)
        if cloud:
            search = router.post(f"{api}/search/jql").respond(
                json={"issues": [first, second], "isLast": True}
            )
        else:
            search = router.get(f"{api}/search").respond(
                json={"startAt": 0, "maxResults": 50, "total": 2, "issues": [first, second]}
            )
        paged = router.get(f"{api}/issue/10002/worklog").mock(side_effect=worklogs)
        other = router.get(f"{api}/issue/10001/worklog").respond(json={})
        pages = run(pages_of(connector(cloud=cloud), SINCE))
    sent = search.calls.last.request
    fields = json.loads(sent.content)["fields"] if cloud else sent.url.params["fields"].split(",")
    assert "worklog" in fields
    assert [int(c.request.url.params["startAt"]) for c in paged.calls] == [0, 2]
    assert not other.called
    items = {i.key: i for page in pages for i in page.items}
    assert [w.id for w in items["ACME-2"].worklogs] == ["3", "4", "5"]
    assert items["ACME-1"].worklogs == (
        Worklog("1", datetime(2026, 11, 2, 8, 0, tzinfo=UTC), 10800),
        Worklog("2", datetime(2026, 11, 3, 8, 0, tzinfo=UTC), 10800),
    )
    assert request_problems(router) == []


def sandbox_logs(found: Issue) -> list[Worklog]:
    """An issue's worklogs as the sandbox holds them, in syncd's shape."""
    return [
        Worklog(
            str(w.id),
            w.started.replace(microsecond=w.started.microsecond // 1000 * 1000),
            w.seconds,
        )
        for w in found.worklogs
    ]


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "dc"])
def test_worklogs_round_trip_into_the_store_and_deleted_ones_leave(
    cloud: bool, engine: Engine
) -> None:
    """A pull over HTTP stores every issue's worklogs (25 on ACME-3: paged; the rest embedded,
    with no request of their own) in the items and the worklogs table; after two worklogs are
    deleted through Jira's API, the next incremental pull drops them from both."""
    with Sandbox(SandboxConfig(seed=5, jira_issues=40, trello_cards=0)) as sb:
        big = sb.state.issues["ACME-3"]
        with sb.state.lock:
            for n in range(25):
                began = big.created + timedelta(hours=n + 1)
                log_work(sb.state, big, 1800, began, author=big.reporter, when=big.created)
        transport = Recording()
        config = jira_config(sb, cloud=cloud)

        async def pull(since: datetime | None) -> None:
            conn = JiraConnector(config, jira_secrets(sb, cloud=cloud), transport=transport)
            try:
                await pull_into(conn, engine, since)
            finally:
                await conn.aclose()

        run(pull(None))
        many = {str(i.id) for i in sb.state.issues.values() if len(i.worklogs) > 20}
        paged = [s for s in transport.sent if s.endswith("/worklog")]
        assert sorted(paged) == sorted(f"GET {config_path(cloud)}/issue/{i}/worklog" for i in many)
        assert str(big.id) in many and transport.problems == []
        expected = {str(i.id): sandbox_logs(i) for i in sb.state.issues.values()}
        assert sum(map(len, expected.values())) > 60
        items = {i.external_id: i for i in load_items(engine, CLIENT)}
        assert {k: list(i.worklogs) for k, i in items.items()} == expected
        table = load_worklogs(engine, CLIENT)
        assert {k: v for k, v in expected.items() if v} == {e: v for (_, e), v in table.items()}

        small = next(i for i in sb.state.issues.values() if 0 < len(i.worklogs) <= 20)
        gone = {str(big.worklogs[0].id), str(small.worklogs[-1].id)}
        auth = (sb.creds.jira_email, sb.creds.jira_token)
        with contract_checking_client(auth=auth, base_url=sb.jira_cloud_url) as http:
            for target, log in ((big, big.worklogs[0]), (small, small.worklogs[-1])):
                answer = http.delete(f"/rest/api/3/issue/{target.key}/worklog/{log.id}")
                assert answer.status_code == 204
        cursor = get_cursor(engine, CLIENT, "acme-jira")
        assert cursor is not None
        run(pull(cursor.cursor))
        after = {str(i.id): sandbox_logs(i) for i in sb.state.issues.values()}
    items = {i.external_id: i for i in load_items(engine, CLIENT)}
    table = load_worklogs(engine, CLIENT)
    for target in (big, small):
        kept = [w.id for w in items[str(target.id)].worklogs]
        assert not gone & set(kept) and kept == [w.id for w in after[str(target.id)]]
        assert table.get(("acme-jira", str(target.id)), []) == after[str(target.id)]
    assert transport.problems == []


def config_path(cloud: bool) -> str:
    return "/cloud/rest/api/3" if cloud else "/dc/rest/api/2"


def test_worklogs_can_be_left_out() -> None:
    """With `worklogs = false` the search does not ask for them and nothing is paged: the items
    keep their time spent, undated."""
    raw = with_logs(2, [raw_log(3, 4, 3)], total=3)
    with respx.mock(assert_all_called=False) as router:
        meta_routes(router, CLOUD, 3)
        search = router.post(f"{CLOUD}/rest/api/3/search/jql").respond(
            json={"issues": [raw], "isLast": True}
        )
        paged = router.get(f"{CLOUD}/rest/api/3/issue/10002/worklog").respond(json={})
        pages = run(pages_of(connector(worklogs=False), SINCE))
    assert "worklog" not in json.loads(search.calls.last.request.content)["fields"]
    assert not paged.called
    (item,) = [i for page in pages for i in page.items]
    assert item.spent_hours == 9.0
