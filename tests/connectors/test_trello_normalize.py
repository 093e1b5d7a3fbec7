"""Trello cards into WorkItems, from recorded payloads (adlio/trello, nextcloud/deck, zulip)."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from syncd.connectors.trello.normalize import (
    MARKER_LINE,
    board_context,
    checklist_counts,
    default_category,
    histories,
    id_time,
    is_own_label,
    is_status_card,
    normalize_card,
)
from syncd.errors import MappingError
from syncd.model import StatusCategory, StatusChange
from tests.conftest import FIXTURES

PAYLOADS = FIXTURES / "payloads" / "trello"


def load(name: str) -> Any:
    path = PAYLOADS / name if "/" in name else PAYLOADS / "adlio-trello" / name
    return json.loads(Path(path).read_text())


def by_id(rows: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {row["id"]: row for row in rows}


LISTS = by_id(load("lists_board-lists-api-example.json"))
FIELDS = by_id(load("boards_4ed7e27fe6abb2517a21383d_customFields.json"))
MEMBERS = by_id(load("members_board-members-api-example.json"))


def normalize(raw: dict[str, Any], **overrides: Any) -> Any:
    kwargs: dict[str, Any] = {
        "source": "acme-trello",
        "lists": LISTS,
        "labels": {},
        "members": MEMBERS,
        "custom_fields": FIELDS,
        "history": (),
    }
    kwargs.update(overrides)
    return normalize_card(raw, **kwargs)


@pytest.mark.parametrize(
    ("name", "category"),
    [
        ("Done", StatusCategory.DONE),
        ("Shipped 🚀", StatusCategory.DONE),
        ("COMPLETE", StatusCategory.DONE),
        ("Doing", StatusCategory.IN_PROGRESS),
        ("In Progress", StatusCategory.IN_PROGRESS),
        ("Code Review", StatusCategory.IN_PROGRESS),
        ("Testing", StatusCategory.IN_PROGRESS),
        ("To Do Soon", StatusCategory.TODO),
        ("Backlog", StatusCategory.TODO),
    ],
)
def test_list_names_suggest_a_category(name: str, category: StatusCategory) -> None:
    """List names map case-insensitively to done, in progress, or else todo."""
    assert default_category(name) is category


def test_card_id_carries_its_creation_time() -> None:
    """The first 8 hex digits of a Trello id are the creation time in unix seconds."""
    assert id_time("4eea503791e31d1746000080") == datetime(2011, 12, 15, 19, 53, 27, tzinfo=UTC)
    assert id_time("hashcard7") is None


def test_api_example_card_normalizes() -> None:
    """The documented card example becomes an item with key, url, list, dates and list fields."""
    raw = load("cards_list-cards-api-example.json")[0]
    item = normalize(raw)
    assert item.external_id == "4eea503791e31d1746000080"
    assert item.key == "XlG8S7ll"
    assert item.url == "https://trello.com/c/XlG8S7ll/3-finish-my-awesome-application"
    assert item.type == "card"
    assert (item.status, item.container, item.category) == ("To Do Soon", "To Do Soon", "todo")
    assert item.created == datetime(2011, 12, 15, 19, 53, 27, tzinfo=UTC)
    assert item.updated == datetime(2011, 12, 15, 19, 53, 27, 228000, tzinfo=UTC)
    assert item.fields == (("Field1", "F1 1st opt"), ("Field2", "F2 2nd opt"))
    assert item.content_hash
    assert not item.archived


def test_created_card_keeps_label_names_and_description_free() -> None:
    """Nested labels give their names; an unknown list makes the card a MappingError."""
    raw = load("cards_card-create.json")
    lists = {raw["idList"]: {"id": raw["idList"], "name": "Doing"}}
    item = normalize(raw, lists=lists)
    assert item.labels == ("Complete", "Overdue")
    assert item.category is StatusCategory.IN_PROGRESS
    with pytest.raises(MappingError, match="unknown list"):
        normalize(raw)


def test_rework_history_gives_real_start_and_finish() -> None:
    """List moves become history: start is the first move to doing, finish the last to done."""
    actions = load("actions_card-actions-rework.json")
    card_id = actions[0]["data"]["card"]["id"]
    history = histories(actions)[card_id]
    lists = {"l1": {"id": "l1", "name": "Done"}}
    raw = {"id": card_id, "name": "Rework", "idList": "l1", "shortLink": "abc"}
    item = normalize(raw, lists=lists, history=history)
    assert [c.to_status for c in item.history][:3] == [
        "Backlog",
        "Approved Work",
        "Ready for Development",
    ]
    assert item.actual_start == datetime(2016, 10, 1, 0, 3, tzinfo=UTC)
    assert item.actual_finish == datetime(2016, 10, 1, 22, 39, 11, 291000, tzinfo=UTC)
    assert item.resolved == item.actual_finish


def test_history_without_create_action_starts_at_the_card_id_time() -> None:
    """Without a createCard action, the first move's origin is the list the card was created in."""
    actions = load("actions_card-actions-typical.json")
    moves = [a for a in actions if "listAfter" in a["data"]]
    card_id = moves[0]["data"]["card"]["id"]
    lists = {"done": {"id": "done", "name": "Done", "closed": False}}
    raw = {"id": card_id, "idList": "done", "name": "Typical Card", "closed": True}
    item = normalize(raw, lists=lists, history=histories(moves)[card_id])
    first = item.history[0]
    assert first.from_status is None
    assert first.at == id_time(card_id)
    assert first.to_status == item.history[1].from_status
    assert item.archived


def test_nextcloud_export_normalizes_with_anonymised_ids() -> None:
    """A full board export normalizes; anonymised (non-hex) ids give no creation time, no crash."""
    board = load("nextcloud-deck/data-trelloJson.json")
    ctx = board_context(board)
    items = [
        normalize(
            card,
            lists=ctx.lists,
            labels=ctx.labels,
            members=ctx.members,
            custom_fields=ctx.custom_fields,
        )
        for card in board["cards"]
    ]
    assert len(items) == len(board["cards"])
    assert all(item.key.startswith("fakeshortlink") for item in items)
    assert {item.status for item in items} <= {lst["name"] for lst in board["lists"]}


def test_members_labels_and_numbers() -> None:
    """First member is the assignee; RAG labels are left out; numeric strings become points."""
    fields = {
        "sp": {"id": "sp", "name": "Story Points", "type": "number"},
        "est": {"id": "est", "name": "Estimate (h)", "type": "number"},
        "ok": {"id": "ok", "name": "Blocked", "type": "checkbox"},
    }
    raw = {
        "id": "5a98670bd6afbd6de1c8c360",
        "idList": "4eea4ffc91e31d174600004b",
        "idMembers": ["4ee7df74e582acdec80000b6", "4ee7df1be582acdec80000ae"],
        "labels": [{"name": "syncd: Amber", "color": "yellow"}, {"name": "", "color": "blue"}],
        "customFieldItems": [
            {"idCustomField": "sp", "value": {"number": "5"}},
            {"idCustomField": "est", "value": {"number": "12.5"}},
            {"idCustomField": "ok", "value": {"checked": "true"}},
        ],
        "checklists": [load("checklists_checklist-api-example.json")],
        "due": "2018-03-13T16:00:00.000Z",
        "dueComplete": True,
    }
    item = normalize(raw, custom_fields=fields)
    assert item.assignee == "David Tester"
    assert item.labels == ("blue",)
    assert item.story_points == 5.0
    assert item.estimate_hours == 12.5
    assert ("Blocked", "true") in item.fields
    assert (item.checklist_done, item.checklist_total) == (1, 1)
    assert item.resolved == datetime(2018, 3, 13, 16, 0, tzinfo=UTC)


def test_badges_count_checklists_when_none_are_nested() -> None:
    """Without nested checklists, the card's badges give the counts."""
    assert checklist_counts({"badges": {"checkItems": 4, "checkItemsChecked": 3}}) == (3, 4)


def test_status_card_and_own_labels_are_recognised() -> None:
    """The marker line in a description marks syncd's card; `syncd:`/`syncd-` names its labels."""
    assert is_status_card({"desc": f"**Amber**\n\n{MARKER_LINE}"})
    assert not is_status_card({"desc": "syncd is great"})
    assert is_own_label("syncd: Red") and is_own_label("SYNCD-green")
    assert not is_own_label("syncdication")


def test_unreadable_dates_are_mapping_errors() -> None:
    """A garbled timestamp is a MappingError (quarantine), not a crash."""
    raw = {"id": "4eea503791e31d1746000080", "idList": "4eea4ffc91e31d174600004a", "due": "soon"}
    with pytest.raises(MappingError):
        normalize(raw)


def test_comment_and_label_actions_are_not_status_changes() -> None:
    """Only createCard and list-moving updateCard actions enter the history."""
    actions = (
        load("actions_card-actions-with-member.json") + load("boards_rq2mYJNn.json")["actions"]
    )
    found = histories(actions)
    kinds = {a["type"] for a in actions if "listAfter" in a["data"] or a["type"] == "createCard"}
    assert kinds <= {"createCard", "updateCard"}
    assert all(isinstance(c, StatusChange) for changes in found.values() for c in changes)
    assert sum(len(c) for c in found.values()) == sum(
        1
        for a in actions
        if (a["type"] == "createCard" and "list" in a["data"]) or "listAfter" in a["data"]
    )
