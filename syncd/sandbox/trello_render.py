"""Trello objects as Trello's JSON (ids as strings, dates as ISO `Z`, numbers in custom
field values as strings)."""

from __future__ import annotations

from typing import Any

from syncd.sandbox.clock import trello_datetime
from syncd.sandbox.state import (
    Action,
    Board,
    Card,
    Checklist,
    CustomField,
    Label,
    Member,
    State,
    TList,
)

JsonDict = dict[str, Any]
TRELLO = "https://trello.com"


def board_json(state: State, board: Board) -> JsonDict:
    """A board's own fields."""
    last = state.actions[board.actions[-1]].date if board.actions else None
    return {
        "id": board.id,
        "name": board.name,
        "desc": board.desc,
        "closed": board.closed,
        "pinned": False,
        "url": f"{TRELLO}/b/{board.short_link}/{board.name.lower().replace(' ', '-')}",
        "shortUrl": f"{TRELLO}/b/{board.short_link}",
        "shortLink": board.short_link,
        "dateLastActivity": trello_datetime(last),
        "prefs": {"permissionLevel": "org", "hideVotes": False},
        "labelNames": {
            state.labels[lid].color or "none": state.labels[lid].name for lid in board.labels
        },
    }


def list_json(tlist: TList) -> JsonDict:
    """A list."""
    return {
        "id": tlist.id,
        "name": tlist.name,
        "closed": tlist.closed,
        "pos": tlist.pos,
        "idBoard": tlist.id_board,
        "subscribed": False,
    }


def label_json(label: Label) -> JsonDict:
    """A label."""
    return {"id": label.id, "idBoard": label.id_board, "name": label.name, "color": label.color}


def member_json(member: Member) -> JsonDict:
    """A member (the short form boards and actions show)."""
    return {
        "id": member.id,
        "username": member.username,
        "fullName": member.full_name,
        "initials": "".join(p[0] for p in member.full_name.split()),
    }


def custom_field_json(field: CustomField) -> JsonDict:
    """A custom field definition."""
    out: JsonDict = {
        "id": field.id,
        "idModel": field.id_board,
        "modelType": "board",
        "fieldGroup": f"group-{field.id}",
        "name": field.name,
        "pos": field.pos,
        "type": field.type,
        "display": {"cardFront": True},
    }
    if field.type == "list":
        out["options"] = [
            {
                "id": oid,
                "idCustomField": field.id,
                "value": {"text": text},
                "color": "none",
                "pos": 16384 * (n + 1),
            }
            for n, (oid, text) in enumerate(field.options.items())
        ]
    return out


def checklist_json(checklist: Checklist) -> JsonDict:
    """A checklist with its items."""
    return {
        "id": checklist.id,
        "name": checklist.name,
        "idBoard": checklist.id_board,
        "idCard": checklist.id_card,
        "pos": checklist.pos,
        "checkItems": [
            {
                "id": i.id,
                "name": i.name,
                "state": i.state,
                "pos": i.pos,
                "idChecklist": checklist.id,
                "due": None,
                "idMember": None,
                "nameData": None,
            }
            for i in checklist.items
        ],
    }


def custom_item_json(card: Card, item: JsonDict) -> JsonDict:
    """A card's value for one custom field."""
    out = {
        "id": item["id"],
        "idCustomField": item["idCustomField"],
        "idModel": card.id,
        "modelType": "card",
    }
    if "idValue" in item:
        out["idValue"] = item["idValue"]
    else:
        out["value"] = item.get("value")
    return out


def _slug(name: str) -> str:
    return name.lower().replace(" ", "-")


def card_json(
    state: State,
    card: Card,
    *,
    fields: list[str] | None = None,
    custom_items: bool = False,
    checklists: bool = False,
) -> JsonDict:
    """A card with `fields` (all when None), optionally its custom field items and checklists."""
    items = [state.checklists[c] for c in card.checklists]
    check_total = sum(len(c.items) for c in items)
    checked = sum(1 for c in items for i in c.items if i.state == "complete")
    link = f"c{card.id[-7:]}"
    full: JsonDict = {
        "id": card.id,
        "name": card.name,
        "desc": card.desc,
        "closed": card.closed,
        "idBoard": card.id_board,
        "idList": card.id_list,
        "idShort": card.id_short,
        "pos": card.pos,
        "due": trello_datetime(card.due),
        "dueComplete": card.due_complete,
        "start": trello_datetime(card.start),
        "dueReminder": None,
        "dateLastActivity": trello_datetime(card.date_last_activity),
        "idLabels": list(card.id_labels),
        "idMembers": list(card.id_members),
        "idChecklists": list(card.checklists),
        "idMembersVoted": [],
        "labels": [label_json(state.labels[lid]) for lid in card.id_labels if lid in state.labels],
        "shortLink": link,
        "shortUrl": f"{state.trello_site}/c/{link}",
        "url": f"{state.trello_site}/c/{link}/{card.id_short}-{_slug(card.name)}",
        "subscribed": False,
        "manualCoverAttachment": False,
        "checkItemStates": [],
        "badges": {
            "checkItems": check_total,
            "checkItemsChecked": checked,
            "comments": 0,
            "attachments": 0,
            "description": bool(card.desc),
            "votes": 0,
            "due": trello_datetime(card.due),
            "dueComplete": card.due_complete,
            "viewingMemberVoted": False,
            "subscribed": False,
            "fogbugz": "",
        },
    }
    out = full if fields is None else {k: full[k] for k in ["id", *fields] if k in full}
    if custom_items:
        out["customFieldItems"] = [custom_item_json(card, i) for i in card.custom_items.values()]
    if checklists:
        out["checklists"] = [checklist_json(c) for c in items]
    return out


def action_json(state: State, action: Action) -> JsonDict:
    """An action with its creator."""
    creator = state.members.get(action.id_member_creator)
    return {
        "id": action.id,
        "idMemberCreator": action.id_member_creator,
        "type": action.type,
        "date": trello_datetime(action.date),
        "data": action.data,
        "appCreator": None,
        "limits": {},
        "memberCreator": member_json(creator) if creator else None,
    }


def parse_fields(value: str | None, default: list[str] | None = None) -> list[str] | None:
    """A Trello `fields` parameter: `all` (None means every field) or a comma list."""
    if value is None or value == "":
        return default
    if value == "all":
        return None
    return [f.strip() for f in value.split(",") if f.strip()]
