"""The status card push and own-write recognition, against a small stateful board behind respx."""

from __future__ import annotations

import itertools
import json
from collections.abc import Iterator
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
import pytest
import respx
from pydantic import SecretStr

from syncd.clock import FakeClock
from syncd.connectors.base import MARKER
from syncd.connectors.config import Secrets
from syncd.connectors.trello.config import TrelloConfig, TrelloPush
from syncd.connectors.trello.connector import TrelloConnector
from syncd.model import PushOutcome, StatusPush
from syncd.testing import run, sample_status
from tests.conftest import FIXTURES
from tests.connectors.harness_trello import request_problems

BASE = "https://trello.test/trello/1"
BOARD = "5f0000000000000000000b02"
ID = r"(?P<id>[0-9a-f]{24})"
WEBHOOKS = FIXTURES / "payloads" / "trello"


@dataclass
class Board:
    """Just enough Trello to push onto: lists, labels, custom fields, cards and comments."""

    lists: list[dict[str, Any]] = field(default_factory=list)
    labels: list[dict[str, Any]] = field(default_factory=list)
    fields: list[dict[str, Any]] = field(default_factory=list)
    cards: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: dict[str, dict[str, Any]] = field(default_factory=dict)
    writes: list[str] = field(default_factory=list)
    ids: Iterator[int] = field(default_factory=lambda: itertools.count(1))

    def new_id(self) -> str:
        return f"5f00000000000000{next(self.ids):08x}"

    def mount(self, router: respx.MockRouter) -> None:
        b = f"/boards/{BOARD}"
        router.get(b).mock(side_effect=self.get_board)
        router.get(f"{b}/lists").mock(side_effect=lambda r: self.ok(self.open_lists()))
        router.get(f"{b}/labels").mock(side_effect=lambda r: self.ok(self.labels))
        router.get(f"{b}/cards/all").mock(side_effect=lambda r: self.ok(list(self.cards.values())))
        router.get(f"{b}/cards/open").mock(
            side_effect=lambda r: self.ok([c for c in self.cards.values() if not c["closed"]])
        )
        router.post("/lists").mock(side_effect=self.create_list)
        router.post("/labels").mock(side_effect=self.create_label)
        router.post("/cards").mock(side_effect=self.create_card)
        router.get(path__regex=rf"/cards/{ID}$").mock(side_effect=self.get_card)
        router.put(path__regex=rf"/cards/{ID}$").mock(side_effect=self.put_card)
        router.get(path__regex=rf"/cards/{ID}/actions$").mock(side_effect=self.get_comments)
        router.post(path__regex=rf"/cards/{ID}/actions/comments$").mock(
            side_effect=self.add_comment
        )
        router.put(path__regex=rf"/actions/{ID}$").mock(side_effect=self.edit_comment)
        router.post(path__regex=rf"/cards/{ID}/idLabels$").mock(side_effect=self.add_label)
        router.delete(path__regex=rf"/cards/{ID}/idLabels/(?P<label>\w+)$").mock(
            side_effect=self.remove_label
        )
        router.put(path__regex=rf"/cards/{ID}/customField/(?P<field>\w+)/item$").mock(
            side_effect=self.set_field
        )

    @staticmethod
    def ok(body: Any) -> httpx.Response:
        return httpx.Response(200, json=body)

    def get_board(self, request: httpx.Request) -> httpx.Response:
        """The board with the nested resources asked for: lists, labels, custom fields, cards."""
        asked = request.url.params
        body: dict[str, Any] = {"id": BOARD}
        if asked.get("lists"):
            body["lists"] = self.open_lists()
        if asked.get("labels"):
            body["labels"] = self.labels
        if asked.get("customFields") == "true":
            body["customFields"] = self.fields
        if asked.get("cards") in ("all", "open"):
            body["cards"] = [
                c for c in self.cards.values() if asked["cards"] == "all" or not c["closed"]
            ]
        return self.ok(body)

    def open_lists(self) -> list[dict[str, Any]]:
        return [lst for lst in self.lists if not lst.get("closed")]

    def write(self, request: httpx.Request) -> dict[str, str]:
        self.writes.append(f"{request.method} {request.url.path.removeprefix('/trello/1')}")
        return dict(request.url.params)

    def create_list(self, request: httpx.Request) -> httpx.Response:
        args = self.write(request)
        row = {"id": self.new_id(), "name": args["name"], "closed": False}
        self.lists.append(row)
        return self.ok(row)

    def create_label(self, request: httpx.Request) -> httpx.Response:
        args = self.write(request)
        row = {"id": self.new_id(), "name": args["name"], "color": args["color"]}
        self.labels.append(row)
        return self.ok(row)

    def create_card(self, request: httpx.Request) -> httpx.Response:
        args = self.write(request)
        row: dict[str, Any] = {
            "id": self.new_id(),
            "name": args["name"],
            "desc": args.get("desc", ""),
            "idList": args["idList"],
            "idLabels": [x for x in args.get("idLabels", "").split(",") if x],
            "closed": False,
            "customFieldItems": [],
        }
        self.cards[row["id"]] = row
        return self.ok(row)

    def get_card(self, request: httpx.Request, id: str) -> httpx.Response:
        """A card; with `actions=commentCard`, its comments nested, newest first."""
        if id not in self.cards:
            return httpx.Response(404, text="not found")
        card = dict(self.cards[id])
        if request.url.params.get("actions") == "commentCard":
            card["actions"] = self.comments_on(id)
        return self.ok(card)

    def comments_on(self, card_id: str) -> list[dict[str, Any]]:
        mine = [c for c in self.comments.values() if c["data"]["card"]["id"] == card_id]
        return sorted(mine, key=lambda c: c["id"], reverse=True)

    def put_card(self, request: httpx.Request, id: str) -> httpx.Response:
        args = self.write(request)
        self.cards[id].update(
            {
                k: (v == "true" if k == "closed" else v)
                for k, v in args.items()
                if k not in ("key", "token", "idLabels")
            }
        )
        if "idLabels" in args:  # the whole list, comma-separated
            self.cards[id]["idLabels"] = [x for x in args["idLabels"].split(",") if x]
        return self.ok(self.cards[id])

    def get_comments(self, request: httpx.Request, id: str) -> httpx.Response:
        return self.ok(self.comments_on(id))

    def add_comment(self, request: httpx.Request, id: str) -> httpx.Response:
        args = self.write(request)
        row: dict[str, Any] = {
            "id": self.new_id(),
            "type": "commentCard",
            "date": "2026-11-20T08:00:00.000Z",
            "data": {"card": {"id": id}, "text": args["text"]},
        }
        self.comments[row["id"]] = row
        return self.ok(row)

    def edit_comment(self, request: httpx.Request, id: str) -> httpx.Response:
        self.comments[id]["data"]["text"] = self.write(request)["text"]
        return self.ok(self.comments[id])

    def add_label(self, request: httpx.Request, id: str) -> httpx.Response:
        self.cards[id]["idLabels"].append(self.write(request)["value"])
        return self.ok(self.cards[id]["idLabels"])

    def remove_label(self, request: httpx.Request, id: str, label: str) -> httpx.Response:
        self.write(request)
        self.cards[id]["idLabels"].remove(label)
        return self.ok(self.cards[id]["idLabels"])

    def set_field(self, request: httpx.Request, id: str, field: str) -> httpx.Response:
        self.write(request)
        body = json.loads(request.content)
        items = [i for i in self.cards[id]["customFieldItems"] if i["idCustomField"] != field]
        self.cards[id]["customFieldItems"] = [*items, {"idCustomField": field, **body}]
        return self.ok({})


def status_board() -> Board:
    """A board with a Status list, a list-type RAG field, a number SPI field, and a user card."""
    board = Board()
    board.lists = [
        {"id": board.new_id(), "name": name, "closed": False} for name in ("To Do", "Status")
    ]
    rag = board.new_id()
    options = [
        {"id": board.new_id(), "idCustomField": rag, "value": {"text": t}}
        for t in ("Red", "Amber", "Green")
    ]
    board.fields = [
        {"id": rag, "name": "RAG", "type": "list", "options": options},
        {"id": board.new_id(), "name": "SPI", "type": "number"},
    ]
    user = board.new_id()
    board.cards[user] = {
        "id": user,
        "name": "User card",
        "desc": "mine",
        "idList": board.lists[0]["id"],
        "idLabels": [],
        "closed": False,
        "customFieldItems": [],
    }
    return board


@pytest.fixture
def trello() -> Iterator[respx.MockRouter]:
    """A respx router for Trello; every request it saw is checked against the contract."""
    with respx.mock(base_url=BASE, assert_all_called=False) as router:
        yield router
        assert request_problems(router) == []


def connector(status_list: str = "Status", clock: FakeClock | None = None) -> TrelloConnector:
    config = TrelloConfig(
        kind="trello",
        id="acme-trello",
        url=BASE,
        board=BOARD,
        key_env="K",
        token_env="T",
        push=TrelloPush(list=status_list),
    )
    secrets = Secrets(key=SecretStr("k"), token=SecretStr("t"))
    if clock is not None:
        return TrelloConnector(config, secrets, clock=clock)
    return TrelloConnector(config, secrets)


def status(**kw: Any) -> StatusPush:
    return replace(
        sample_status(**kw), fields=(("RAG", kw.get("rag", "amber").title()), ("SPI", "0.91"))
    )


def push(
    conn: TrelloConnector, value: StatusPush, known: dict[str, Any] | None = None
) -> PushOutcome:
    return run(conn.writer.push(value, known=known or {}))


def close(conn: TrelloConnector) -> None:
    run(conn.aclose())


def test_first_push_creates_card_comment_label_and_fields(trello: respx.MockRouter) -> None:
    """On a fresh board: one card, one comment, the amber label, RAG and SPI fields."""
    board = status_board()
    board.mount(trello)
    conn = connector()
    outcome = push(conn, status())
    close(conn)
    card = board.cards[outcome.remote["card_id"]]
    assert board.writes[:3] == [
        "POST /labels",
        "POST /cards",
        f"POST /cards/{card['id']}/actions/comments",
    ]  # the card is made with its label
    assert card["idList"] == board.lists[1]["id"] and MARKER in card["desc"]
    assert [lb["name"] for lb in board.labels] == ["syncd: Amber"]
    assert card["idLabels"] == [board.labels[0]["id"]]
    values = {i["idCustomField"]: i for i in card["customFieldItems"]}
    assert values[board.fields[0]["id"]]["idValue"] == board.fields[0]["options"][1]["id"]
    assert values[board.fields[1]["id"]]["value"] == {"number": "0.91"}
    assert outcome.changed and outcome.writes == len(board.writes) == 5


def test_second_identical_push_writes_nothing(trello: respx.MockRouter) -> None:
    """The same status again, with or without the ids of the last push, writes nothing."""
    board = status_board()
    board.mount(trello)
    conn = connector()
    first = push(conn, status())
    before = list(board.writes)
    again = push(conn, status(), first.remote)
    lost = push(connector(), status(), {})
    close(conn)
    assert board.writes == before
    assert not again.changed and again.writes == 0
    assert again.remote == first.remote == lost.remote


def test_changed_status_edits_in_place(trello: respx.MockRouter) -> None:
    """Red after amber: description and comment edited, amber label swapped for red (in the
    card's own update: no label request of its own), RAG set."""
    board = status_board()
    board.mount(trello)
    conn = connector()
    first = push(conn, status())
    board.writes.clear()
    second = push(conn, status(rag="red", note="slipped"), first.remote)
    close(conn)
    card_id = first.remote["card_id"]
    amber = board.labels[0]["id"]
    assert second.remote == first.remote
    assert f"PUT /cards/{card_id}" in board.writes
    assert f"PUT /actions/{first.remote['comment_id']}" in board.writes
    assert [lb["name"] for lb in board.labels] == ["syncd: Amber", "syncd: Red"]
    assert board.cards[card_id]["idLabels"] == [board.labels[1]["id"]] != [amber]
    assert not [w for w in board.writes if "/idLabels" in w]
    assert (
        len(board.comments) == 1
        and "slipped" in next(iter(board.comments.values()))["data"]["text"]
    )


def test_missing_list_is_created_once(trello: respx.MockRouter) -> None:
    """A status list that does not exist is created, then reused."""
    board = status_board()
    board.mount(trello)
    conn = connector(status_list="Project status")
    first = push(conn, status())
    second = push(conn, status(), first.remote)
    close(conn)
    assert board.writes.count("POST /lists") == 1
    assert second.remote["list_id"] == board.lists[-1]["id"]


def test_card_moved_or_archived_by_a_person_is_put_back(trello: respx.MockRouter) -> None:
    """The status card archived into another list is brought back, not duplicated."""
    board = status_board()
    board.mount(trello)
    conn = connector()
    first = push(conn, status())
    board.cards[first.remote["card_id"]].update(closed=True, idList=board.lists[0]["id"])
    board.writes.clear()
    again = push(conn, status(), {})
    close(conn)
    assert again.remote == first.remote
    assert board.writes == [f"PUT /cards/{first.remote['card_id']}"]


def test_lost_create_answer_finds_the_card_instead_of_posting_again(
    trello: respx.MockRouter,
) -> None:
    """A POST /cards applied but unanswered is found by its marker; one card, one POST."""
    board = status_board()
    board.mount(trello)
    posts: list[str] = []

    def drop_first(request: httpx.Request) -> httpx.Response:
        posts.append(request.url.path)
        answer = board.create_card(request)
        if len(posts) == 1:
            raise httpx.ReadError("connection dropped after the write")
        return answer

    trello.post("/cards").mock(side_effect=drop_first)
    conn = connector()
    push(conn, status())
    close(conn)
    marked = [c for c in board.cards.values() if MARKER in c["desc"]]
    assert len(marked) == 1
    assert board.writes.count("POST /cards") == 1


def test_a_rate_limited_create_waits_its_retry_after_on_the_connectors_clock(
    trello: respx.MockRouter,
) -> None:
    """A POST /cards answered 429 with Retry-After: 30 is sent again once 30 s have passed on
    the connector's clock (a fake one: none in fact); one card is made."""
    board = status_board()
    board.mount(trello)
    posts: list[str] = []

    def limit_first(request: httpx.Request) -> httpx.Response:
        posts.append(request.url.path)
        if len(posts) == 1:
            return httpx.Response(429, headers={"Retry-After": "30"})
        return board.create_card(request)

    trello.post("/cards").mock(side_effect=limit_first)
    clock = FakeClock()
    conn = connector(clock=clock)
    start = clock.monotonic()
    push(conn, status())
    close(conn)
    assert len(posts) == 2 and board.writes.count("POST /cards") == 1
    assert clock.monotonic() - start >= 30


def test_own_writes_are_recognised_in_webhooks(trello: respx.MockRouter) -> None:
    """Webhooks about the status card, its comment or a syncd label are ours; others are not."""
    board = status_board()
    board.mount(trello)
    conn = connector()
    outcome = push(conn, status())
    close(conn)
    theirs = [
        json.loads((WEBHOOKS / p).read_text())
        for p in (
            "zulip-webhooks/adding_comment_to_card.json",
            "zulip-webhooks/changing_cards_list.json",
            "adlio-trello/webhooks_webhook-to-board-updateCard.json",
        )
    ]
    assert not any(conn.is_own_write(body) for body in theirs)
    comment = next(iter(board.comments.values()))
    assert conn.is_own_write({"model": {}, "action": comment})
    on_card = {"type": "updateCard", "data": {"card": {"id": outcome.remote["card_id"]}}}
    assert conn.is_own_write({"action": on_card})
    label = {
        "type": "addLabelToCard",
        "data": {"card": {"id": "x"}, "label": {"name": "syncd: Red"}},
    }
    assert connector().is_own_write({"action": label})
    assert not connector().is_own_write(
        {"action": {"type": "updateCard", "data": {"card": {"id": "x"}}}}
    )


def test_what_earlier_pushes_made_is_known_as_own_to_a_new_connector() -> None:
    """Remembered from the store (`PushState.remote`), the status list syncd made and the writes
    on its card are syncd's own to a connector that did not push them; another list is not."""
    conn = connector()
    made = {"type": "createList", "data": {"list": {"id": "L1", "name": "Status"}}}
    commented = {"type": "commentCard", "data": {"card": {"id": "C1", "name": "Weekly"}}}
    theirs = {"type": "createList", "data": {"list": {"id": "L2", "name": "Later"}}}
    assert not conn.own_action(made) and not conn.own_action(commented)
    conn.remember_own([{"list_id": "L1", "card_id": "C1", "comment_id": "A1"}])
    assert conn.own_action(made) and conn.own_action(commented)
    assert not conn.own_action(theirs)
    close(conn)
