"""Trello board structure writes in the sandbox: lists and labels, as the contract says."""

from __future__ import annotations

import httpx

from syncd.sandbox import Sandbox
from tests.contracts import contract_errors


def test_create_list_on_a_board(sandbox: Sandbox, trello: httpx.Client) -> None:
    """POST /lists adds an open list to the board, first when pos=top; the shape is the spec's."""
    board = sandbox.board_ids[0]
    response = trello.post("/lists", params={"name": "Status", "idBoard": board, "pos": "top"})
    assert response.status_code == 200, response.text
    assert contract_errors(response.request, response) == []
    created = response.json()
    lists = trello.get(f"/boards/{board}/lists").json()
    assert lists[0]["id"] == created["id"] and lists[0]["name"] == "Status"


def test_create_label_on_a_board(sandbox: Sandbox, trello: httpx.Client) -> None:
    """POST /labels adds a coloured label that the board then lists."""
    board = sandbox.board_ids[0]
    response = trello.post(
        "/labels", params={"name": "syncd: Red", "color": "red", "idBoard": board}
    )
    assert response.status_code == 200, response.text
    assert contract_errors(response.request, response) == []
    names = {label["name"] for label in trello.get(f"/boards/{board}/labels").json()}
    assert "syncd: Red" in names


def test_list_and_label_need_a_known_board(trello: httpx.Client) -> None:
    """An unknown board or a missing name is a 400, as Trello answers."""
    assert trello.post("/lists", params={"name": "x", "idBoard": "nope"}).status_code == 400
    assert trello.post("/labels", params={"name": "x", "idBoard": "nope"}).status_code == 400


def test_cards_carry_their_own_list_moves_as_nested_actions(
    sandbox: Sandbox, trello: httpx.Client
) -> None:
    """`actions=updateCard:idList` on a card read nests that card's list moves, newest first."""
    board = sandbox.board_ids[0]
    plain = trello.get(f"/boards/{board}/cards/all").json()
    assert all("actions" not in card for card in plain)
    cards = trello.get(
        f"/boards/{board}/cards/all",
        params={"actions": "createCard,updateCard:idList", "actions_limit": "1000"},
    ).json()
    moves = [a for card in cards for a in card["actions"]]
    assert moves and all(a["type"] in ("createCard", "updateCard") for a in moves)
    for card in cards:
        assert all(a["data"]["card"]["id"] == card["id"] for a in card["actions"])
        dates = [a["date"] for a in card["actions"]]
        assert dates == sorted(dates, reverse=True)
    assert all("old" in a["data"] for a in moves if a["type"] == "updateCard")
    one = trello.get(
        f"/cards/{cards[0]['id']}",
        params={
            "actions": "createCard,updateCard:idList",
            "action_fields": "type,date,data",
            "action_memberCreator": "false",
        },
    )
    assert one.status_code == 200
    assert all(set(a) == {"id", "type", "date", "data"} for a in one.json()["actions"])
    refused = trello.get(
        f"/boards/{board}/cards/all", params={"actions": "all", "actions_limit": "5000"}
    )
    assert refused.status_code == 400
