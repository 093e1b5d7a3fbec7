"""Trello writes: cards, comments, labels on cards, custom field items, webhooks."""

from __future__ import annotations

from typing import Any

import httpx
from starlette.responses import Response

from syncd.sandbox.clock import parse_trello_datetime
from syncd.sandbox.events import notify_action
from syncd.sandbox.routing import ApiError, AsyncHandler, Call, Handler, json_response
from syncd.sandbox.state import Action, Card, Webhook
from syncd.sandbox.trello_data import card_data, move_card, record_action
from syncd.sandbox.trello_render import action_json, card_json, custom_item_json

BOT = "bot"


def lookup_card(call: Call) -> Card:
    card = call.ctx.state.cards.get(call.path["card_id"])
    if card is None:
        raise ApiError(404, "The requested resource was not found.")
    return card


def bot_member(call: Call) -> str:
    """The member the token belongs to (the first generated member)."""
    return next(iter(call.ctx.state.members))


def act(call: Call, card: Card, kind: str, data: dict[str, Any]) -> Action:
    """Record an action on the card's board and tell webhooks."""
    state = call.ctx.state
    when = state.clock.tick()
    card.date_last_activity = when
    action = record_action(state, state.boards[card.id_board], kind, when, data, bot_member(call))
    notify_action(call.ctx, action)
    return action


def id_list(value: Any) -> list[str]:
    """`idLabels`/`idMembers` given as a comma string or a list."""
    if isinstance(value, list):
        return [str(v) for v in value]
    return [v for v in str(value or "").split(",") if v]


def create_card(call: Call) -> Response:
    """`POST /cards`: needs `idList`."""
    args = call.form()
    state = call.ctx.state
    tlist = state.lists.get(str(args.get("idList", "")))
    if tlist is None:
        raise ApiError(400, "invalid value for idList")
    board = state.boards[tlist.id_board]
    when = state.clock.tick()
    card = Card(
        id=state.trello_id(when),
        id_board=board.id,
        id_list=tlist.id,
        id_short=len(board.cards) + 1,
        name=str(args.get("name", "")),
        pos=16384.0 * (len(board.cards) + 1),
        date_last_activity=when,
        desc=str(args.get("desc", "")),
    )
    state.cards[card.id] = card
    board.cards.append(card.id)
    apply_card_args(call, card, args)
    act(call, card, "createCard", card_data(card, state))
    return json_response(card_json(state, card))


def apply_card_args(call: Call, card: Card, args: dict[str, Any]) -> dict[str, Any]:
    """Set the simple card fields present in `args`; returns the old values."""
    old: dict[str, Any] = {}
    for name in ("name", "desc"):
        if name in args:
            old[name] = getattr(card, name)
            setattr(card, name, str(args[name]))
    if "closed" in args:
        old["closed"] = card.closed
        card.closed = str(args["closed"]).lower() == "true"
    if "dueComplete" in args:
        old["dueComplete"] = card.due_complete
        card.due_complete = str(args["dueComplete"]).lower() == "true"
    if "due" in args:
        old["due"] = card.due
        card.due = (
            parse_trello_datetime(str(args["due"]))
            if args["due"] not in (None, "", "null")
            else None
        )
    if "idLabels" in args:
        card.id_labels = id_list(args["idLabels"])
    if "idMembers" in args:
        card.id_members = id_list(args["idMembers"])
    return old


def update_card(call: Call) -> Response:
    """`PUT /cards/{id}`: fields, and moves between lists (recorded as listBefore/listAfter)."""
    card = lookup_card(call)
    args = call.form()
    state = call.ctx.state
    target = args.get("idList")
    if target and target != card.id_list:
        if target not in state.lists:
            raise ApiError(400, "invalid value for idList")
        action = move_card(state, card, str(target), state.clock.tick(), bot_member(call))
        notify_action(call.ctx, action)
    old = apply_card_args(call, card, args)
    if old:
        data = card_data(card, state)
        data["old"] = {
            k: v if not hasattr(v, "isoformat") else v.isoformat() for k, v in old.items()
        }
        act(call, card, "updateCard", data)
    state.touch()
    return json_response(card_json(state, card))


def add_comment(call: Call) -> Response:
    """`POST /cards/{id}/actions/comments?text=`."""
    card = lookup_card(call)
    text = str(call.form().get("text", ""))
    if not text:
        raise ApiError(400, "invalid value for text")
    data = card_data(card, call.ctx.state)
    data["text"] = text
    action = act(call, card, "commentCard", data)
    return json_response(action_json(call.ctx.state, action))


def lookup_action(call: Call) -> Action:
    action = call.ctx.state.actions.get(call.path["action_id"])
    if action is None:
        raise ApiError(404, "The requested resource was not found.")
    return action


def edit_action(call: Call) -> Response:
    """`PUT /actions/{id}?text=`: only comments can be edited."""
    action = lookup_action(call)
    if action.type != "commentCard":
        raise ApiError(400, "Action is not a comment")
    text = str(call.form().get("text", ""))
    if not text:
        raise ApiError(400, "invalid value for text")
    action.data["text"] = text
    action.data["dateLastEdited"] = call.ctx.state.clock.tick().isoformat()
    call.ctx.state.touch()
    return json_response(action_json(call.ctx.state, action))


def delete_action(call: Call) -> Response:
    """`DELETE /actions/{id}`."""
    action = lookup_action(call)
    state = call.ctx.state
    del state.actions[action.id]
    state.boards[action.id_board].actions.remove(action.id)
    state.touch()
    return json_response({"_value": None})


def add_label(call: Call) -> Response:
    """`POST /cards/{id}/idLabels?value=`."""
    card = lookup_card(call)
    label = str(call.form().get("value", ""))
    if label not in call.ctx.state.boards[card.id_board].labels:
        raise ApiError(400, "invalid value for value")
    if label not in card.id_labels:
        card.id_labels.append(label)
        act(
            call, card, "addLabelToCard", card_data(card, call.ctx.state) | {"label": {"id": label}}
        )
    return json_response(list(card.id_labels))


def remove_label(call: Call) -> Response:
    """`DELETE /cards/{id}/idLabels/{idLabel}`."""
    card = lookup_card(call)
    label = call.path["label_id"]
    if label not in card.id_labels:
        raise ApiError(400, "That label is not on the card.")
    card.id_labels.remove(label)
    act(
        call,
        card,
        "removeLabelFromCard",
        card_data(card, call.ctx.state) | {"label": {"id": label}},
    )
    return json_response(list(card.id_labels))


def set_custom_item(call: Call, card: Card, field_id: str, body: dict[str, Any]) -> dict[str, Any]:
    """Set or clear one custom field value; returns the item as Trello shows it."""
    state = call.ctx.state
    field = state.custom_fields.get(field_id)
    if field is None or field.id_board != card.id_board:
        raise ApiError(400, "invalid value for idCustomField")
    item: dict[str, Any] = {
        "id": card.custom_items.get(field_id, {}).get("id") or state.trello_id(state.clock.now()),
        "idCustomField": field_id,
    }
    value, id_value = body.get("value"), body.get("idValue")
    if value in ("", None) and id_value in ("", None):
        card.custom_items.pop(field_id, None)
        item["value"] = None
        return custom_item_json(card, item)
    if field.type == "list":
        if id_value not in field.options:
            raise ApiError(400, "invalid value for idValue")
        item["idValue"] = id_value
    else:
        if not isinstance(value, dict) or len(value) != 1:
            raise ApiError(400, "invalid value for value")
        item["value"] = {
            k: str(v).lower() if isinstance(v, bool) else str(v) for k, v in value.items()
        }
    card.custom_items[field_id] = item
    act(
        call,
        card,
        "updateCustomFieldItem",
        card_data(card, state) | {"customField": {"id": field_id}},
    )
    return custom_item_json(card, item)


def put_custom_item(call: Call) -> Response:
    """`PUT /cards/{idCard}/customField/{idCustomField}/item`."""
    card = lookup_card(call)
    return json_response(set_custom_item(call, card, call.path["field_id"], call.form()))


def put_custom_items(call: Call) -> Response:
    """`PUT /cards/{idCard}/customFields`: several values at once."""
    card = lookup_card(call)
    items = call.form().get("customFieldItems")
    if not isinstance(items, list):
        raise ApiError(400, "invalid value for customFieldItems")
    for item in items:
        set_custom_item(call, card, str(item.get("idCustomField", "")), item)
    return json_response({})


async def create_webhook(call: Call) -> Response:
    """`POST /webhooks`: HEAD the callbackURL first; it must answer 200."""
    args = call.form()
    url = str(args.get("callbackURL", ""))
    model = str(args.get("idModel", ""))
    state = call.ctx.state
    if model not in state.boards and model not in state.cards:
        raise ApiError(400, "invalid value for idModel")
    try:
        async with httpx.AsyncClient(timeout=5.0) as client:
            status = (await client.head(url)).status_code
    except httpx.HTTPError as exc:
        raise ApiError(400, f"URL ({url}) did not return 200 status code, got error") from exc
    if status != 200:
        raise ApiError(400, f"URL ({url}) did not return 200 status code, got {status}")
    with state.lock:
        hook = Webhook(
            id=state.trello_id(state.clock.now()),
            callback_url=url,
            id_model=model,
            description=str(args.get("description", "")),
            active=str(args.get("active", "true")).lower() != "false",
            token=call.ctx.config.creds.trello_token,
        )
        state.trello_webhooks[hook.id] = hook
    return json_response(webhook_json(hook))


def webhook_json(hook: Webhook) -> dict[str, Any]:
    """A webhook as Trello shows it."""
    return {
        "id": hook.id,
        "description": hook.description,
        "idModel": hook.id_model,
        "callbackURL": hook.callback_url,
        "active": hook.active,
        "consecutiveFailures": 0,
        "firstConsecutiveFailDate": None,
    }


def lookup_webhook(call: Call) -> Webhook:
    hook = call.ctx.state.trello_webhooks.get(call.path["hook_id"])
    if hook is None:
        raise ApiError(404, "The requested resource was not found.")
    return hook


def get_webhook(call: Call) -> Response:
    """`GET /webhooks/{id}`."""
    return json_response(webhook_json(lookup_webhook(call)))


def delete_webhook(call: Call) -> Response:
    """`DELETE /webhooks/{id}`."""
    hook = lookup_webhook(call)
    del call.ctx.state.trello_webhooks[hook.id]
    return json_response({"_value": None})


def token_webhooks(call: Call) -> Response:
    """`GET /tokens/{token}/webhooks`."""
    return json_response([webhook_json(h) for h in call.ctx.state.trello_webhooks.values()])


WRITES: list[tuple[list[str], str, Handler]] = [
    (["POST"], "/cards", create_card),
    (["PUT"], "/cards/{card_id}", update_card),
    (["POST"], "/cards/{card_id}/actions/comments", add_comment),
    (["PUT"], "/actions/{action_id}", edit_action),
    (["DELETE"], "/actions/{action_id}", delete_action),
    (["POST"], "/cards/{card_id}/idLabels", add_label),
    (["DELETE"], "/cards/{card_id}/idLabels/{label_id}", remove_label),
    (["PUT"], "/cards/{card_id}/customField/{field_id}/item", put_custom_item),
    (["PUT"], "/cards/{card_id}/customFields", put_custom_items),
    (["GET"], "/webhooks/{hook_id}", get_webhook),
    (["DELETE"], "/webhooks/{hook_id}", delete_webhook),
    (["GET"], "/tokens/{token}/webhooks", token_webhooks),
]
ASYNC_WRITES: list[tuple[list[str], str, AsyncHandler]] = [
    (["POST"], "/webhooks", create_webhook),
    (["POST"], "/webhooks/", create_webhook),  # the documented spelling has the slash
]
