"""Trello endpoints: boards with nested resources, cards, comments, labels, custom fields."""

from __future__ import annotations

import httpx

from syncd.sandbox import Sandbox, SandboxConfig
from syncd.sandbox.config import Creds


def test_full_board_in_one_request(sandbox: Sandbox, trello: httpx.Client) -> None:
    """A board with lists, cards, checklists, custom fields, labels and members nests them all."""
    board_id = sandbox.board_ids[0]
    body = trello.get(
        f"/boards/{board_id}",
        params={
            "lists": "all",
            "cards": "all",
            "checklists": "all",
            "customFields": "true",
            "labels": "all",
            "members": "all",
            "card_customFieldItems": "true",
        },
    ).json()
    assert len(body["cards"]) == len(sandbox.state.boards[board_id].cards)
    assert any(tl["closed"] for tl in body["lists"])
    assert {"lists", "checklists", "customFields", "labels", "members"} <= set(body)
    assert any(c["customFieldItems"] for c in body["cards"])


def test_number_custom_field_values_are_strings(sandbox: Sandbox, trello: httpx.Client) -> None:
    """Number custom field values come back as strings, as real Trello sends them."""
    cards = trello.get(
        f"/boards/{sandbox.board_ids[0]}/cards", params={"customFieldItems": "true"}
    ).json()
    numbers = [
        i["value"]["number"]
        for c in cards
        for i in c["customFieldItems"]
        if "value" in i and "number" in (i["value"] or {})
    ]
    assert numbers and all(isinstance(n, str) for n in numbers)


def test_card_filter_open_closed_all(sandbox: Sandbox, trello: httpx.Client) -> None:
    """`filter=closed` returns archived cards only; `all` is open plus closed."""
    board_id = sandbox.board_ids[0]
    closed = trello.get(f"/boards/{board_id}/cards", params={"filter": "closed"}).json()
    every = trello.get(f"/boards/{board_id}/cards", params={"filter": "all"}).json()
    assert closed and all(c["closed"] for c in closed)
    assert len(every) == len(sandbox.state.boards[board_id].cards)


def test_actions_are_newest_first_and_limited(sandbox: Sandbox, trello: httpx.Client) -> None:
    """Board actions come newest first, at most `limit`, and `before` pages backwards."""
    board_id = sandbox.board_ids[0]
    first = trello.get(f"/boards/{board_id}/actions", params={"limit": 20}).json()
    dates = [a["date"] for a in first]
    assert len(first) == 20 and dates == sorted(dates, reverse=True)
    older = trello.get(
        f"/boards/{board_id}/actions", params={"limit": 20, "before": first[-1]["id"]}
    ).json()
    assert older[0]["date"] <= first[-1]["date"]
    assert not {a["id"] for a in older} & {a["id"] for a in first}


def test_actions_limit_above_1000_is_refused(sandbox: Sandbox, trello: httpx.Client) -> None:
    """`limit` over 1000 is a 400."""
    response = trello.get(f"/boards/{sandbox.board_ids[0]}/actions", params={"limit": 1001})
    assert response.status_code == 400


def test_comment_create_edit_delete(sandbox: Sandbox, trello: httpx.Client) -> None:
    """A comment action can be edited in place and deleted."""
    card_id = sandbox.state.boards[sandbox.board_ids[0]].cards[0]
    created = trello.post(f"/cards/{card_id}/actions/comments", params={"text": "status: green"})
    action_id = created.json()["id"]
    assert created.json()["type"] == "commentCard"
    edited = trello.put(f"/actions/{action_id}", params={"text": "status: red"})
    assert edited.json()["data"]["text"] == "status: red"
    assert trello.delete(f"/actions/{action_id}").status_code == 200
    assert action_id not in sandbox.state.actions


def test_only_comments_can_be_edited(sandbox: Sandbox, trello: httpx.Client) -> None:
    """Editing a non-comment action is refused."""
    board = sandbox.state.boards[sandbox.board_ids[0]]
    create = next(a for a in board.actions if sandbox.state.actions[a].type == "createCard")
    assert trello.put(f"/actions/{create}", params={"text": "x"}).status_code == 400


def test_create_card_and_move_it(sandbox: Sandbox, trello: httpx.Client) -> None:
    """POST /cards creates; PUT idList moves it with listBefore/listAfter in the action."""
    board = sandbox.state.boards[sandbox.board_ids[1]]
    card = trello.post("/cards", params={"idList": board.lists[0], "name": "syncd status"}).json()
    moved = trello.put(f"/cards/{card['id']}", json={"idList": board.lists[1]})
    assert moved.json()["idList"] == board.lists[1]
    action = trello.get(f"/boards/{board.id}/actions", params={"limit": 1}).json()[0]
    assert action["type"] == "updateCard"
    assert action["data"]["listAfter"]["id"] == board.lists[1]


def test_labels_added_and_removed(sandbox: Sandbox, trello: httpx.Client) -> None:
    """idLabels POST adds a board label to a card and DELETE removes it."""
    board = sandbox.state.boards[sandbox.board_ids[0]]
    card_id = board.cards[1]
    label = next(lb for lb in board.labels if lb not in sandbox.state.cards[card_id].id_labels)
    assert label in trello.post(f"/cards/{card_id}/idLabels", params={"value": label}).json()
    assert label not in trello.delete(f"/cards/{card_id}/idLabels/{label}").json()


def test_custom_field_item_set_and_batch(sandbox: Sandbox, trello: httpx.Client) -> None:
    """Setting a number item stores it as a string; the batch form sets several."""
    board = sandbox.state.boards[sandbox.board_ids[0]]
    fields = {sandbox.state.custom_fields[f].name: f for f in board.custom_fields}
    card_id = board.cards[2]
    item = trello.put(
        f"/cards/{card_id}/customField/{fields['Estimate (h)']}/item",
        json={"value": {"number": 42}},
    ).json()
    assert item["value"] == {"number": "42"}
    batch = trello.put(
        f"/cards/{card_id}/customFields",
        json={"customFieldItems": [{"idCustomField": fields["WBS"], "value": {"text": "2.1"}}]},
    )
    assert batch.status_code == 200
    items = trello.get(f"/cards/{card_id}/customFieldItems").json()
    assert {"text": "2.1"} in [i.get("value") for i in items]


def test_bad_token_is_plain_text_401(sandbox: Sandbox) -> None:
    """A wrong token answers 401 `invalid token` in plain text."""
    response = httpx.get(
        f"{sandbox.trello_url}/boards/{sandbox.board_ids[0]}",
        params={"key": sandbox.creds.trello_key, "token": "wrong"},
    )
    assert (response.status_code, response.text) == (401, "invalid token")


def test_oauth_header_is_accepted(sandbox: Sandbox) -> None:
    """`Authorization: OAuth oauth_consumer_key=..., oauth_token=...` authenticates."""
    header = (
        f'OAuth oauth_consumer_key="{sandbox.creds.trello_key}", '
        f'oauth_token="{sandbox.creds.trello_token}"'
    )
    response = httpx.get(
        f"{sandbox.trello_url}/boards/{sandbox.board_ids[0]}", headers={"Authorization": header}
    )
    assert response.status_code == 200


def test_rate_limit_headers_on_every_response(sandbox: Sandbox, trello: httpx.Client) -> None:
    """Trello's x-rate-limit-* headers are on every answer, limits on or off."""
    headers = trello.get(f"/boards/{sandbox.board_ids[0]}/lists").headers
    assert headers["x-rate-limit-api-token-max"] == "100"
    assert headers["x-rate-limit-api-key-max"] == "300"


def test_more_trello_accounts_each_answer_to_their_own_pair() -> None:
    """With `trello_accounts`, account n's key with account n's token is let in, with its own
    rate-limit count; a key with another account's token, or an account past the count, is
    refused as Trello refuses it."""
    config = SandboxConfig(seed=7, jira_issues=10, trello_cards=10, creds=Creds(trello_accounts=3))
    with Sandbox(config) as sb:
        board = f"{sb.trello_url}/boards/{sb.board_ids[0]}"

        def answer(key: str, token: str) -> tuple[int, str]:
            response = httpx.get(board, params={"key": key, "token": token})
            return response.status_code, response.text if response.status_code != 200 else ""

        creds = sb.creds
        one, two = creds.trello_account(1), creds.trello_account(2)
        assert answer(*creds.trello_account(0)) == (200, "")
        assert answer(*one) == (200, "")
        assert answer(*two) == (200, "")
        assert answer(one[0], two[1]) == (401, "invalid token")
        assert answer(*creds.trello_account(3)) == (401, "invalid key")
        assert answer(f"{creds.trello_key}-x", one[1]) == (401, "invalid key")
        own = httpx.get(f"{sb.trello_url}/tokens/{two[1]}", params={"key": two[0], "token": two[1]})
        assert own.status_code == 200
        remaining = httpx.get(board, params={"key": two[0], "token": two[1]}).headers
        assert remaining["x-rate-limit-api-token-remaining"] == "97"
