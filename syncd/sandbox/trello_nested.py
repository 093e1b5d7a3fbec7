"""Nested actions on card reads (`actions=…&actions_limit=…`), as Trello's nested resources do."""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from syncd.sandbox.routing import ApiError
from syncd.sandbox.state import Action, State
from syncd.sandbox.trello_render import JsonDict, action_json

DEFAULT_LIMIT = 50  # Trello's default for nested actions
MAX_LIMIT = 1000


def wanted(action: Action, kinds: set[str]) -> bool:
    """Whether `action` matches a filter such as `createCard,updateCard:idList`."""
    if "all" in kinds or action.type in kinds:
        return True
    moved = "idList" in (action.data.get("old") or {})
    return action.type == "updateCard" and moved and "updateCard:idList" in kinds


def limit_of(value: str | None) -> int:
    try:
        limit = DEFAULT_LIMIT if value is None else int(value)
    except ValueError:
        raise ApiError(400, "invalid value for actions_limit") from None
    if not 0 <= limit <= MAX_LIMIT:
        raise ApiError(400, "invalid value for actions_limit")
    return limit


def shaped(body: JsonDict, fields: str | None, member_creator: str | None) -> JsonDict:
    """`action_fields` (a comma list, or all) and `action_memberCreator` (true/false)."""
    if fields not in (None, "", "all"):
        keep = {"id", *str(fields).split(",")}
        body = {k: v for k, v in body.items() if k in keep}
    if member_creator == "false":
        body.pop("memberCreator", None)
    return body


def nested_actions(
    state: State,
    board_id: str,
    card_ids: Iterable[str],
    query: Mapping[str, str],
) -> dict[str, list[JsonDict]]:
    """Each card's matching actions, newest first, at most `actions_limit` each, shaped by
    `action_fields` and `action_memberCreator`: one pass over the board's actions."""
    wanted_ids = set(card_ids)
    cap = limit_of(query.get("actions_limit"))
    found: dict[str, list[JsonDict]] = {cid: [] for cid in wanted_ids}
    filters = set(query.get("actions", "").split(","))
    fields, creator = query.get("action_fields"), query.get("action_memberCreator")
    for action in reversed(state.board_actions(board_id)):
        cid = (action.data.get("card") or {}).get("id")
        if cid in wanted_ids and len(found[cid]) < cap and wanted(action, filters):
            found[cid].append(shaped(action_json(state, action), fields, creator))
    return found
