"""The paging helper every pull reads its listings through: pages in order to the last, and a
clear refusal, naming the connector, the listing and the page, of a page token handed back a
second time or an offset that does not move on (both would have a pull read forever)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import httpx
import pytest
import respx

from syncd.connectors.paging import Page, PageGuard, pages, read_all
from syncd.errors import PagingError, PermanentError
from syncd.testing import run
from tests.connectors.test_jira_requests import CLOUD, DC, connector, issue, meta_routes, pages_of
from tests.connectors.test_trello_requests import BOARD, BOARD_JSON, CARDS, T0, move, pull
from tests.connectors.test_trello_requests import connector as trello_connector

TOKENS = {"": (["a", "b"], "t2"), "t2": (["c"], "t3"), "t3": (["d"], None)}


async def by_token(token: str) -> Page[list[str], str]:
    values, following = TOKENS[token]
    return Page(values, following)


def test_pages_follow_the_tokens_to_the_last_page() -> None:
    """Each page's token leads to the next; a page without one is the last."""

    async def scenario() -> list[list[str]]:
        return [values async for values in pages(by_token, first="", source="s", listing="l")]

    assert run(scenario()) == [["a", "b"], ["c"], ["d"]]


def test_offsets_are_read_until_the_total() -> None:
    """Offset paging: each page starts where the last one ended, until none follows."""
    rows = list(range(7))
    asked: list[int] = []

    async def fetch(start: int) -> Page[list[int], int]:
        asked.append(start)
        page = rows[start : start + 3]
        following = start + len(page)
        return Page(page, following if following < len(rows) else None)

    assert run(read_all(fetch, first=0, source="s", listing="l")) == rows
    assert asked == [0, 3, 6]


def test_a_token_given_before_is_refused_naming_connector_listing_and_page() -> None:
    """t1 → t2 → t1 again: the third page's answer leads back, and the pull stops there."""
    loop = {"": (["a"], "t1"), "t1": (["b"], "t2"), "t2": (["c"], "t1")}
    read: list[str] = []

    async def fetch(token: str) -> Page[list[str], str]:
        values, following = loop[token]
        return Page(values, following)

    async def scenario() -> None:
        async for values in pages(fetch, first="", source="acme-jira", listing="issue search"):
            read.extend(values)

    with pytest.raises(PagingError) as caught:
        run(scenario())
    assert str(caught.value) == (
        "acme-jira: issue search page 3 hands back the page token 't1', given before;"
        " stopped rather than read the same pages again"
    )
    assert isinstance(caught.value, PermanentError)  # the same answer would come again
    assert read == ["a", "b", "c"]


def test_an_offset_that_does_not_move_on_is_refused() -> None:
    """An empty page while the total says more would ask for the same offset forever."""

    async def fetch(start: int) -> Page[list[int], int]:
        page = [1, 2] if start == 0 else []
        return Page(page, start + len(page))  # the total claims 10

    with pytest.raises(PagingError, match=r"^acme: worklogs page 2 \(at offset 2\) leads to"):
        run(read_all(fetch, first=0, source="acme", listing="worklogs"))


def test_an_offset_going_back_is_refused_and_a_long_token_is_cut_short() -> None:
    """An offset behind the current one is refused; a token is shown at most 40 characters."""
    guard = PageGuard(0, source="s", listing="l")
    assert guard.advance(50) == 50
    with pytest.raises(PagingError, match="leads to offset 10, which does not move past it"):
        guard.advance(10)
    tokens = PageGuard("", source="s", listing="l")
    long = "x" * 300
    tokens.advance(long)
    with pytest.raises(PagingError) as caught:
        tokens.advance(long)
    assert f"'{'x' * 36}...'" in str(caught.value) and long not in str(caught.value)


def test_jira_cloud_listing_that_repeats_its_token_fails_the_pull() -> None:
    """Cloud's id listing hands back the same nextPageToken: the pull fails with PagingError
    naming the connector, instead of listing the same ids forever."""
    with respx.mock() as router:
        meta_routes(router, CLOUD, 3)

        def search(request: httpx.Request) -> httpx.Response:
            body = json.loads(request.content)
            ids = [{"id": "10001"}] if "nextPageToken" not in body else [{"id": "10002"}]
            return httpx.Response(200, json={"issues": ids, "nextPageToken": "same"})

        router.post(f"{CLOUD}/rest/api/3/search/jql").mock(side_effect=search)
        router.post(f"{CLOUD}/rest/api/3/issue/bulkfetch").respond(json={"issues": [issue(1)]})
        with pytest.raises(PagingError, match=r"^acme-jira: issue search page 2 hands back"):
            run(pages_of(connector(), None))


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "dc"])
def test_jira_worklog_page_that_does_not_advance_fails_the_pull(cloud: bool) -> None:
    """An issue says it has 30 worklogs, its worklog listing answers an empty page at 0: the
    pull fails naming the issue's listing, where it once kept what it had and went on."""
    base, version = (CLOUD, 3) if cloud else (DC, 2)
    api = f"{base}/rest/api/{version}"
    raw = issue(1)
    raw["fields"]["worklog"] = {"startAt": 0, "maxResults": 20, "total": 30, "worklogs": []}
    with respx.mock(assert_all_called=False) as router:
        meta_routes(router, base, version)
        if cloud:
            router.post(f"{api}/search/jql").respond(json={"issues": [raw], "isLast": True})
        else:
            router.get(f"{api}/search").respond(
                json={"startAt": 0, "maxResults": 50, "total": 1, "issues": [raw]}
            )
        router.get(f"{api}/issue/10001/worklog").respond(
            json={"startAt": 0, "maxResults": 5000, "total": 30, "worklogs": []}
        )
        since = datetime(2026, 11, 20, 9, 0, tzinfo=UTC)
        with pytest.raises(PagingError, match=r"^acme-jira: worklogs of issue 10001 page 1"):
            run(pages_of(connector(cloud=cloud), since))


def test_jira_datacenter_page_size_of_zero_fails_the_pull() -> None:
    """Data Center answers maxResults 0 with more issues than the first page held: offsets
    would not move, and the pull fails where it once stopped after the first page."""
    with respx.mock() as router:
        meta_routes(router, DC, 2)
        router.get(f"{DC}/rest/api/2/search").respond(
            json={"startAt": 0, "maxResults": 0, "total": 5, "issues": [issue(1)]}
        )
        with pytest.raises(PagingError, match=r"^acme-jira: issue search page 1 .* offset 0"):
            run(pages_of(connector(cloud=False)))


def test_trello_actions_that_ignore_before_fail_the_pull() -> None:
    """A board whose actions come back the same whatever `before` asks: the second full page
    names the same oldest action, and the pull fails rather than read on."""
    ident = CARDS[1]["id"]
    full = [move(n, ident, 0, 1, T0 - timedelta(minutes=n)) for n in range(100, 1100)]
    with respx.mock(base_url="https://trello.test/trello/1", assert_all_called=False) as trello:
        trello.get(f"/boards/{BOARD}").respond(json=BOARD_JSON)
        trello.get(f"/boards/{BOARD}/actions").respond(json=full)
        with pytest.raises(PagingError, match=r"^acme-trello: board actions page 2 hands back"):
            pull(trello_connector(), T0 - timedelta(days=5))
