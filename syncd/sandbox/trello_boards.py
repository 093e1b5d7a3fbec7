"""Trello writes on a board's structure: create a list, create a label."""

from __future__ import annotations

from starlette.responses import Response

from syncd.sandbox.routing import ApiError, Call, Handler, json_response
from syncd.sandbox.state import Label, TList
from syncd.sandbox.trello_render import label_json, list_json

COLORS = {"green", "yellow", "orange", "red", "purple", "blue", "sky", "lime", "pink", "black"}


def create_list(call: Call) -> Response:
    """`POST /lists?name=&idBoard=&pos=`: a new open list on the board."""
    args = call.form()
    state = call.ctx.state
    board = state.boards.get(str(args.get("idBoard", "")))
    if board is None:
        raise ApiError(400, "invalid value for idBoard")
    name = str(args.get("name", "")).strip()
    if not name:
        raise ApiError(400, "invalid value for name")
    positions = [state.lists[i].pos for i in board.lists]
    pos = (
        min(positions, default=16384.0) / 2
        if args.get("pos") == "top"
        else (max(positions, default=0.0) + 16384.0)
    )
    tlist = TList(state.trello_id(state.clock.tick()), board.id, name, pos)
    state.lists[tlist.id] = tlist
    if args.get("pos") == "top":
        board.lists.insert(0, tlist.id)  # boards list their lists in position order
    else:
        board.lists.append(tlist.id)
    state.touch()
    return json_response(list_json(tlist))


def create_label(call: Call) -> Response:
    """`POST /labels?name=&color=&idBoard=`: a new label on the board."""
    args = call.form()
    state = call.ctx.state
    board = state.boards.get(str(args.get("idBoard", "")))
    if board is None:
        raise ApiError(400, "invalid value for idBoard")
    color = args.get("color")
    if color is not None and str(color) not in COLORS and str(color) != "null":
        raise ApiError(400, "invalid value for color")
    label = Label(
        state.trello_id(state.clock.tick()),
        board.id,
        str(args.get("name", "")),
        None if color in (None, "null") else str(color),
    )
    state.labels[label.id] = label
    board.labels.append(label.id)
    state.touch()
    return json_response(label_json(label))


def delete_label(call: Call) -> Response:
    """`DELETE /labels/{id}`: the label leaves the board and every card that had it."""
    state = call.ctx.state
    label = state.labels.get(call.path["label_id"])
    if label is None:
        raise ApiError(404, "The requested resource was not found.")
    del state.labels[label.id]
    state.boards[label.id_board].labels.remove(label.id)
    for card_id in state.boards[label.id_board].cards:
        card = state.cards[card_id]
        if label.id in card.id_labels:
            card.id_labels.remove(label.id)
    state.touch()
    return json_response({"_value": None})


WRITES: list[tuple[list[str], str, Handler]] = [
    (["POST"], "/lists", create_list),
    (["POST"], "/labels", create_label),
    (["DELETE"], "/labels/{label_id}", delete_label),
]
