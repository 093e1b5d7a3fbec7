"""Every request the Trello connector sends, against respx, each checked against trello-v1.json."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from syncd import http
from syncd.budget import LocalBudget
from syncd.connectors.base import MARKER, OVERLAP
from syncd.connectors.config import Secrets
from syncd.connectors.trello import KIND as TRELLO
from syncd.connectors.trello.config import TrelloConfig, TrelloPush
from syncd.connectors.trello.connector import TrelloConnector, trello_time
from syncd.errors import AuthError, RateLimitedError
from syncd.model import PullResult
from syncd.testing import run
from tests.connectors.harness_trello import request_problems

BASE = "https://trello.test/trello/1"  # `/trello/1` maps onto the document's `/1` server path
BOARD = "5f0000000000000000000b01"
KEY, TOKEN = "k3y-not-for-logs", "t0ken-not-for-logs"
LISTS = [
    {"id": "5f00000000000000000001a1", "name": "To Do", "closed": False},
    {"id": "5f00000000000000000001a2", "name": "Doing", "closed": False},
    {"id": "5f00000000000000000001a3", "name": "Done", "closed": False},
    {"id": "5f00000000000000000001a4", "name": "Status", "closed": False},
    {"id": "5f00000000000000000001a5", "name": "Old", "closed": True},
]
T0 = datetime(2026, 11, 20, 8, 0, tzinfo=UTC)


def card(n: int, list_index: int, **extra: Any) -> dict[str, Any]:
    """A card as `/boards/{id}/cards/all` returns it."""
    ident = f"5f0000{n:018x}"
    return {
        "id": ident,
        "name": f"Card {n}",
        "idList": LISTS[list_index]["id"],
        "shortLink": f"sl{n}",
        "url": f"https://trello.com/c/sl{n}",
        "closed": False,
        "desc": "",
        "idMembers": [],
        "idLabels": [],
        "dateLastActivity": trello_time(T0),
        "badges": {"checkItems": 0, "checkItemsChecked": 0},
        "checklists": [],
        "customFieldItems": [],
        **extra,
    }


def move(n: int, ident: str, before: int, after: int, at: datetime) -> dict[str, Any]:
    """An `updateCard` action moving a card between lists."""
    return {
        "id": f"5f0001{n:018x}",
        "type": "updateCard",
        "date": trello_time(at),
        "data": {
            "card": {"id": ident, "name": "x"},
            "listBefore": {"id": LISTS[before]["id"], "name": LISTS[before]["name"]},
            "listAfter": {"id": LISTS[after]["id"], "name": LISTS[after]["name"]},
        },
    }


CARDS = [card(1, 0), card(2, 1), card(3, 2, closed=True), card(4, 4)]
ACTIONS = [
    move(2, CARDS[2]["id"], 1, 2, T0 - timedelta(days=1)),
    move(1, CARDS[1]["id"], 0, 1, T0 - timedelta(days=2)),
    move(0, CARDS[2]["id"], 0, 1, T0 - timedelta(days=3)),
]


def nested(cards: list[dict[str, Any]], actions: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Cards as a history read returns them: each with its own actions, newest first."""
    return [
        {**c, "actions": [a for a in actions if a["data"]["card"]["id"] == c["id"]]} for c in cards
    ]


BOARD_JSON = {
    "id": BOARD,
    "name": "ACME",
    "lists": LISTS,
    "labels": [],
    "members": [],
    "customFields": [],
}


def connector(
    *, token: str = TOKEN, status_list: str = "Status", page_size: int = 500
) -> TrelloConnector:
    config = TrelloConfig(
        kind="trello",
        id="acme-trello",
        url=BASE,
        board=BOARD,
        key_env="K",
        token_env="T",
        push=TrelloPush(list=status_list),
    )
    secrets = Secrets(key=SecretStr(KEY), token=SecretStr(token))
    return TrelloConnector(config, secrets, page_size=page_size)


@pytest.fixture
def trello() -> Iterator[respx.MockRouter]:
    """A respx router for Trello; every request it saw is checked against the contract.

    Only the request side counts: the answers are this module's fixtures (Trello's real 401 is
    text/plain, which the document does not describe).
    """
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router
        problems = request_problems(router)
        assert problems == []


def pull(conn: TrelloConnector, since: datetime | None = None, **kw: Any) -> list[PullResult]:
    async def go() -> list[PullResult]:
        try:
            return [page async for page in conn.pull(since, **kw)]
        finally:
            await conn.aclose()

    return run(go())


def query(call: Any) -> dict[str, str]:
    return dict(call.request.url.params)


def routes(router: respx.MockRouter, *, cards: list[dict[str, Any]] | None = None) -> None:
    router.get(f"/boards/{BOARD}").respond(json=BOARD_JSON)
    router.get(f"/boards/{BOARD}/cards/all").respond(
        json=nested(CARDS, ACTIONS) if cards is None else cards
    )


def test_full_pull_reads_board_cards_and_history(trello: respx.MockRouter) -> None:
    """A full pull is two requests: the board with its lists, every card with its history."""
    routes(trello)
    pages = pull(connector())
    items = [i for p in pages for i in p.items]
    assert len(trello.calls) == 2
    assert {i.external_id for i in items} == {c["id"] for c in CARDS}
    assert sum(p.requests for p in pages) == 2
    board, cards = (query(c) for c in trello.calls)
    assert board["lists"] == "all" and board["customFields"] == "true"
    assert cards["checklists"] == "all" and cards["customFieldItems"] == "true"
    assert cards["actions"] == "createCard,updateCard:idList" and cards["actions_limit"] == "1000"
    assert cards["action_fields"] == "type,date,data" and cards["action_memberCreator"] == "false"
    assert "desc" in cards["fields"].split(",")
    assert pages[-1].cursor == T0  # the newest activity seen: a card's, later than any move
    by_id = {i.external_id: i for i in items}
    third = by_id[CARDS[2]["id"]]
    assert third.archived and third.category == "done"
    assert [c.to_status for c in third.history] == ["To Do", "Doing", "Done"]
    assert by_id[CARDS[3]["id"]].archived  # in an archived list


def test_actions_are_paged_with_before(trello: respx.MockRouter) -> None:
    """1000 actions fill a page; the next page asks for those before the oldest one seen."""
    ident = CARDS[1]["id"]
    full = [move(n, ident, 0, 1, T0 - timedelta(minutes=n)) for n in range(100, 1100)]
    trello.get(f"/boards/{BOARD}").respond(json=BOARD_JSON)
    trello.get(f"/boards/{BOARD}/actions").mock(
        side_effect=[httpx.Response(200, json=full), httpx.Response(200, json=ACTIONS)]
    )
    by_id = {c["id"]: c for c in nested(CARDS, [*full, *ACTIONS])}
    trello.get(path__regex=r"/cards/[0-9a-f]+$").mock(
        side_effect=lambda request: httpx.Response(
            200, json=by_id[request.url.path.rsplit("/")[-1]]
        )
    )
    pages = pull(connector(), T0 - timedelta(days=5))
    action_calls = [c for c in trello.calls if c.request.url.path.endswith("/actions")]
    assert len(action_calls) == 2
    assert query(action_calls[1])["before"] == full[-1]["id"]
    item = next(i for p in pages for i in p.items if i.external_id == ident)
    assert len(item.history) == 1002  # creation + 1000 + 1 moves


def test_pull_without_changes_costs_one_request(trello: respx.MockRouter) -> None:
    """Since the cursor, actions only re-read in the overlap change nothing: one request."""
    since = T0 - timedelta(days=1)
    trello.get(f"/boards/{BOARD}/actions").respond(json=ACTIONS[:1])
    pages = pull(connector(), since)
    assert len(trello.calls) == 1
    assert query(trello.calls[0])["since"] == trello_time(since - OVERLAP)
    assert "filter" not in query(trello.calls[0])
    assert pages[-1].items == [] and pages[-1].cursor == since


def test_census_on_an_unchanged_board_costs_two(trello: respx.MockRouter) -> None:
    """A census adds one request listing every card id, archived ones included."""
    trello.get(f"/boards/{BOARD}/actions").respond(json=[])
    trello.get(f"/boards/{BOARD}/cards/all").respond(json=[{"id": c["id"]} for c in CARDS])
    pages = pull(connector(), T0, census=True)
    assert len(trello.calls) == 2
    assert query(trello.calls[1])["fields"] == "id"
    assert pages[-1].census == frozenset(c["id"] for c in CARDS)


def test_changed_cards_alone_are_refetched(trello: respx.MockRouter) -> None:
    """A comment after the cursor refetches that card (with its moves), not the board's cards."""
    ident = CARDS[1]["id"]
    comment = {
        "id": "5f0002000000000000000001",
        "type": "commentCard",
        "date": trello_time(T0 + timedelta(minutes=5)),
        "data": {"card": {"id": ident}, "text": "hi"},
    }
    trello.get(f"/boards/{BOARD}/actions").respond(json=[comment])
    trello.get(f"/boards/{BOARD}").respond(json=BOARD_JSON)
    trello.get(f"/cards/{ident}").respond(json=nested([CARDS[1]], [ACTIONS[1]])[0])
    pages = pull(connector(), T0)
    items = [i for p in pages for i in p.items]
    assert [i.external_id for i in items] == [ident]
    assert items[0].actual_start == T0 - timedelta(days=2)
    assert pages[-1].cursor == T0 + timedelta(minutes=5)
    card_calls = [c for c in trello.calls if c.request.url.path.startswith("/trello/1/cards")]
    assert len(card_calls) == 1
    assert query(card_calls[0])["customFieldItems"] == "true"
    assert query(card_calls[0])["actions"] == "createCard,updateCard:idList"


def test_renamed_list_reads_the_whole_board(trello: respx.MockRouter) -> None:
    """A list renamed since the cursor changes every card in it: the pull reads everything."""
    renamed = {
        "id": "5f0002000000000000000002",
        "type": "updateList",
        "date": trello_time(T0 + timedelta(minutes=1)),
        "data": {"list": LISTS[1], "old": {"name": "Doing"}},
    }
    trello.get(f"/boards/{BOARD}/actions").mock(
        side_effect=[httpx.Response(200, json=[renamed]), httpx.Response(200, json=ACTIONS)]
    )
    trello.get(f"/boards/{BOARD}").respond(json=BOARD_JSON)
    trello.get(f"/boards/{BOARD}/cards/all").respond(json=CARDS)
    pages = pull(connector(), T0)
    assert len([i for p in pages for i in p.items]) == len(CARDS)


def test_status_card_is_never_an_item(trello: respx.MockRouter) -> None:
    """syncd's own status card (marker in its description) is left out of items and census."""
    status = card(9, 3, desc=f"**Amber**\n\n[//]: # ({MARKER})")
    routes(trello, cards=[*CARDS, status])
    pages = pull(connector(), census=True)
    assert status["id"] not in {i.external_id for p in pages for i in p.items}
    assert pages[-1].census is not None and status["id"] not in pages[-1].census


def test_unreadable_card_is_quarantined(trello: respx.MockRouter) -> None:
    """A card in a list the board does not have is quarantined; the others arrive."""
    stray = card(7, 0, idList="5f00000000000000000009ff")
    routes(trello, cards=[*CARDS, stray])
    pages = pull(connector(page_size=2))
    assert [q.external_id for p in pages for q in p.quarantined] == [stray["id"]]
    assert len([i for p in pages for i in p.items]) == len(CARDS)
    assert len(pages) == 3


def test_trello_429_without_retry_after_waits_a_default() -> None:
    """Trello's 429 body without Retry-After is a RateLimitedError with a positive default wait."""
    request = httpx.Request("GET", f"{BASE}/boards/{BOARD}?key={KEY}&token={TOKEN}")
    body = {"error": "API_TOKEN_LIMIT_EXCEEDED", "message": "Rate limit exceeded"}
    response = httpx.Response(429, json=body, request=request)
    with pytest.raises(RateLimitedError) as caught:
        http.classify(response, service="trello")
    assert caught.value.retry_after > 0
    assert KEY not in str(caught.value) and TOKEN not in str(caught.value)


def test_rate_limited_request_is_retried(trello: respx.MockRouter) -> None:
    """A 429 is retried after its wait and the pull completes."""
    limited = httpx.Response(
        429, headers={"Retry-After": "0"}, json={"error": "API_KEY_LIMIT_EXCEEDED"}
    )
    trello.get(f"/boards/{BOARD}").mock(side_effect=[limited, httpx.Response(200, json=BOARD_JSON)])
    trello.get(f"/boards/{BOARD}/cards/all").respond(json=nested(CARDS, ACTIONS))
    conn = connector()
    pages = pull(conn)
    assert len([i for p in pages for i in p.items]) == len(CARDS)
    assert conn.remote.counters.throttled == 1


def test_refused_token_is_an_auth_error_without_secrets(trello: respx.MockRouter) -> None:
    """401 raises AuthError after one request; the message names neither key nor token."""
    trello.get(f"/boards/{BOARD}").respond(401, text="invalid token")
    with pytest.raises(AuthError) as caught:
        pull(connector(token="bad-t0ken-secret"))
    assert len(trello.calls) == 1
    assert "t0ken" not in str(caught.value) and KEY not in str(caught.value)


def test_budgets_stay_under_trellos_limits() -> None:
    """Per token 90 requests per 10 s pass the budget; the 91st must wait (Trello allows 100)."""
    conn = connector(token="budget-test-token")
    token_rate, key_rate = conn.remote.budgets
    assert token_rate == http.Rate(http.credential_key("trello-token", "budget-test-token"), 90, 10)
    assert key_rate == http.Rate(http.credential_key("trello-key", KEY), 270, 10)
    budget = LocalBudget()
    waits = [budget.try_acquire((token_rate,)) for _ in range(91)]
    assert waits[:90] == [0.0] * 90 and waits[90] > 0
    run(conn.aclose())


def test_secrets_are_not_in_the_connector_repr() -> None:
    """Neither the key nor the token shows in the repr of the connector's config and secrets."""
    conn = connector()
    targets = TRELLO.targets(conn.config, [])
    assert TOKEN not in repr(conn.config) and TOKEN not in json.dumps(targets)
    run(conn.aclose())
