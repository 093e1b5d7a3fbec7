"""Nested actions on card reads (`actions=…&actions_limit=…`), as Trello's nested resources do."""

from __future__ import annotations

from collections.abc import Iterable

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


def nested_actions(
    state: State, board_id: str, card_ids: Iterable[str], kinds: str, limit: str | None
) -> dict[str, list[JsonDict]]:
    """Each card's matching actions, newest first, at most `limit` each: one pass over the board."""
    wanted_ids = set(card_ids)
    cap = limit_of(limit)
    found: dict[str, list[JsonDict]] = {cid: [] for cid in wanted_ids}
    filters = set(kinds.split(","))
    for action in reversed(state.board_actions(board_id)):
        cid = (action.data.get("card") or {}).get("id")
        if cid in wanted_ids and len(found[cid]) < cap and wanted(action, filters):
            found[cid].append(action_json(state, action))
    return found
