"""Trello reads under `/trello/1`: boards (with nested lists, cards, checklists, labels,
members, custom fields and actions), cards, and the authentication and rate limits
in front of them. Writes live in `trello_cards`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from starlette.responses import Response
from starlette.routing import Route, Router
from starlette.types import ASGIApp

from syncd.sandbox import trello_boards as boards
from syncd.sandbox import trello_cards as writes
from syncd.sandbox.clock import parse_trello_datetime
from syncd.sandbox.context import Context
from syncd.sandbox.routing import ApiError, Call, Handler, async_route, json_response, route
from syncd.sandbox.state import Action, Board, Card
from syncd.sandbox.trello_auth import TrelloAuth
from syncd.sandbox.trello_nested import nested_actions, wanted
from syncd.sandbox.trello_render import (
    JsonDict,
    action_json,
    board_json,
    card_json,
    checklist_json,
    custom_field_json,
    label_json,
    list_json,
    member_json,
    parse_fields,
)
from syncd.sandbox.trello_tokens import get_token

ACTIONS_CAP = 1000


def find_board(call: Call) -> Board:
    board = call.ctx.state.boards.get(call.path["board_id"])
    if board is None:
        raise ApiError(404, "The requested resource was not found.")
    return board


def find_card(call: Call) -> Card:
    card = call.ctx.state.cards.get(call.path["card_id"])
    if card is None:
        raise ApiError(404, "The requested resource was not found.")
    return card


def flag(value: str | None) -> bool:
    """Trello's boolean query values."""
    return (value or "").lower() in ("true", "all", "1")


def board_cards(call: Call, board: Board, which: str, prefix: str = "") -> list[JsonDict]:
    """A board's cards filtered by `which` (open/closed/all/visible), rendered as asked."""
    state = call.ctx.state
    cards = [state.cards[c] for c in board.cards]
    if which in ("open", "visible"):
        cards = [c for c in cards if not c.closed and not state.lists[c.id_list].closed]
    elif which == "closed":
        cards = [c for c in cards if c.closed]
    elif which != "all":
        raise ApiError(400, "invalid value for filter")
    q = call.query
    fields = parse_fields(q.get(f"{prefix}fields"))
    custom = flag(q.get(f"{prefix}customFieldItems"))
    checklists = q.get("checklists" if not prefix else "card_checklists", "none") == "all"
    rendered = [
        card_json(state, c, fields=fields, custom_items=custom, checklists=checklists)
        for c in cards
    ]
    if q.get("actions") and not prefix:
        nested = nested_actions(state, board.id, (c.id for c in cards), q)
        for card, body in zip(cards, rendered, strict=True):
            body["actions"] = nested[card.id]
    return rendered


def board_lists(call: Call, board: Board, which: str) -> list[JsonDict]:
    """A board's lists filtered by open/closed/all."""
    lists = [call.ctx.state.lists[lid] for lid in board.lists]
    if which == "open":
        lists = [tl for tl in lists if not tl.closed]
    elif which == "closed":
        lists = [tl for tl in lists if tl.closed]
    return [list_json(tl) for tl in lists]


def get_board(call: Call) -> Response:
    """`GET /boards/{id}` with the nested resources the real API offers."""
    board = find_board(call)
    state = call.ctx.state
    q = call.query
    out = board_json(state, board)
    fields = parse_fields(q.get("fields"))
    if fields is not None:
        out = {k: v for k, v in out.items() if k in ["id", *fields]}
    if q.get("lists", "none") != "none":
        out["lists"] = board_lists(call, board, q["lists"])
    if q.get("cards", "none") != "none":
        out["cards"] = board_cards(call, board, q["cards"], prefix="card_")
    if q.get("checklists", "none") != "none":
        out["checklists"] = [
            checklist_json(state.checklists[c])
            for cid in board.cards
            for c in state.cards[cid].checklists
        ]
    if flag(q.get("customFields")):
        out["customFields"] = [
            custom_field_json(state.custom_fields[f]) for f in board.custom_fields
        ]
    if q.get("labels", "none") != "none":
        out["labels"] = [label_json(state.labels[lid]) for lid in board.labels]
    if q.get("members", "none") != "none":
        out["members"] = [member_json(state.members[m]) for m in board.members]
    if q.get("actions", "none") != "none":
        out["actions"] = select_actions(call, board, prefix="actions_")
    return json_response(out)


Position = tuple[datetime, str]


def position_of(call: Call, value: str, *, upper: bool) -> Position:
    """Where a `since`/`before` value sits in time: an action id, an object id, or a date.

    Object ids start with their creation time in 8 hex digits, as Trello's do. A date bound
    sorts before (`upper=False`) or after (`upper=True`) every action at that instant.
    """
    action = call.ctx.state.actions.get(value)
    if action is not None:
        return (action.date, action.id)
    try:
        if len(value) == 24 and all(ch in "0123456789abcdef" for ch in value):
            when = datetime.fromtimestamp(int(value[:8], 16), tz=UTC)
        else:
            when = parse_trello_datetime(value)
    except ValueError as exc:
        raise ApiError(400, f"invalid value for since/before: {value}") from exc
    return (when, "~" if upper else "")


def select_actions(call: Call, board: Board, *, prefix: str = "") -> list[JsonDict]:
    """A board's actions, newest first, filtered by type, after `since`, before `before`."""
    q = call.query
    state = call.ctx.state
    limit = call.int_arg(f"{prefix}limit" if prefix else "limit", 50)
    if not 0 <= limit <= ACTIONS_CAP:
        raise ApiError(400, "invalid value for limit")
    kinds = q.get("actions" if prefix else "filter", "all")
    kinds_wanted = None if kinds == "all" else set(kinds.split(","))
    since = position_of(call, q["since"], upper=False) if q.get("since") else None
    before = position_of(call, q["before"], upper=False) if q.get("before") else None
    page = call.int_arg("page", 0)
    found: list[Action] = []
    for action in reversed(state.board_actions(board.id)):
        here = (action.date, action.id)
        if before is not None and here >= before:
            continue
        if since is not None and here <= since:
            break
        if kinds_wanted is None or wanted(action, kinds_wanted):
            found.append(action)
        if len(found) >= limit * (page + 1):
            break
    return [action_json(state, a) for a in found[limit * page : limit * (page + 1)]]


def get_board_actions(call: Call) -> Response:
    """`GET /boards/{id}/actions`."""
    return json_response(select_actions(call, find_board(call)))


def get_board_cards(call: Call) -> Response:
    """`GET /boards/{id}/cards[/{filter}]`."""
    board = find_board(call)
    which = call.path.get("filter") or call.query.get("filter", "open")
    return json_response(board_cards(call, board, which))


def get_board_lists(call: Call) -> Response:
    """`GET /boards/{id}/lists`."""
    board = find_board(call)
    return json_response(board_lists(call, board, call.query.get("filter", "open")))


def get_board_part(call: Call) -> Response:
    """`GET /boards/{id}/labels|members|customFields|checklists`."""
    board = find_board(call)
    state = call.ctx.state
    part = call.request.url.path.rsplit("/", 1)[1]
    rows: list[JsonDict]
    if part == "labels":
        rows = [label_json(state.labels[lid]) for lid in board.labels]
    elif part == "members":
        rows = [member_json(state.members[m]) for m in board.members]
    elif part == "customFields":
        rows = [custom_field_json(state.custom_fields[f]) for f in board.custom_fields]
    else:
        rows = [
            checklist_json(state.checklists[c])
            for cid in board.cards
            for c in state.cards[cid].checklists
        ]
    return json_response(rows)


def get_card(call: Call) -> Response:
    """`GET /cards/{id}`."""
    card = find_card(call)
    q = call.query
    body = card_json(
        call.ctx.state,
        card,
        fields=parse_fields(q.get("fields")),
        custom_items=flag(q.get("customFieldItems")),
        checklists=q.get("checklists", "none") == "all",
    )
    if q.get("actions"):
        nested = nested_actions(call.ctx.state, card.id_board, [card.id], q)
        body["actions"] = nested[card.id]
    return json_response(body)


def get_card_part(call: Call) -> Response:
    """`GET /cards/{id}/customFieldItems|checklists|actions`."""
    card = find_card(call)
    state = call.ctx.state
    part = call.request.url.path.rsplit("/", 1)[1]
    if part == "customFieldItems":
        body = card_json(state, card, fields=[], custom_items=True)["customFieldItems"]
    elif part == "checklists":
        body = [checklist_json(state.checklists[c]) for c in card.checklists]
    else:
        kinds = set(call.query.get("filter", "commentCard,updateCard:idList").split(","))
        kinds |= {k.split(":")[0] for k in kinds}
        body = [
            action_json(state, a)
            for a in reversed(state.board_actions(card.id_board))
            if a.data.get("card", {}).get("id") == card.id and ("all" in kinds or a.type in kinds)
        ]
        body = body[: call.int_arg("limit", 50)]
    return json_response(body)


def get_me(call: Call) -> Response:
    """`GET /members/me`: the token's member."""
    member = next(iter(call.ctx.state.members.values()))
    return json_response(member_json(member) | {"idBoards": list(call.ctx.state.boards)})


def get_my_boards(call: Call) -> Response:
    """`GET /members/me/boards`."""
    state = call.ctx.state
    return json_response([board_json(state, b) for b in state.boards.values()])


READS: list[tuple[list[str], str, Handler]] = [
    (["GET"], "/boards/{board_id}", get_board),
    (["GET"], "/boards/{board_id}/actions", get_board_actions),
    (["GET"], "/boards/{board_id}/cards", get_board_cards),
    (["GET"], "/boards/{board_id}/cards/{filter}", get_board_cards),
    (["GET"], "/boards/{board_id}/lists", get_board_lists),
    (["GET"], "/boards/{board_id}/labels", get_board_part),
    (["GET"], "/boards/{board_id}/members", get_board_part),
    (["GET"], "/boards/{board_id}/customFields", get_board_part),
    (["GET"], "/boards/{board_id}/checklists", get_board_part),
    (["GET"], "/cards/{card_id}", get_card),
    (["GET"], "/cards/{card_id}/customFieldItems", get_card_part),
    (["GET"], "/cards/{card_id}/checklists", get_card_part),
    (["GET"], "/cards/{card_id}/actions", get_card_part),
    (["GET"], "/members/me", get_me),
    (["GET"], "/members/me/boards", get_my_boards),
    (["GET"], "/tokens/{token}", get_token),
]


def trello_app(ctx: Context) -> ASGIApp:
    """Trello's routes behind key/token authentication and (optionally) its rate limits."""
    routes: list[Route] = []
    for methods, path, handler in READS + writes.WRITES + boards.WRITES:
        routes.append(route(path, handler, ctx=ctx, methods=methods, label="/trello/1" + path))
    for methods, path, async_handler in writes.ASYNC_WRITES:
        routes.append(
            async_route(path, async_handler, ctx=ctx, methods=methods, label="/trello/1" + path)
        )
    return TrelloAuth(Router(routes), ctx)
