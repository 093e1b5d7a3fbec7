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
