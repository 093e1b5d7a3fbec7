"""Trello cards into `WorkItem`s: pure functions over the JSON Trello returns.

A board is read once into a `BoardContext` (lists, labels, members, custom fields by id);
actions become per-card status histories; `normalize_card` turns one card into one item.
Nothing here does I/O.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from syncd.connectors.base import MARKER
from syncd.errors import MappingError
from syncd.model import StatusCategory, StatusChange, WorkItem

JsonDict = dict[str, Any]

MARKER_LINE = f"[//]: # ({MARKER})"  # a Markdown comment: hidden on the card, found by search
RAG_LABELS = {
    "red": ("syncd: Red", "red"),
    "amber": ("syncd: Amber", "yellow"),
    "green": ("syncd: Green", "green"),
}  # rag -> (label name, Trello colour)
_OWN_LABEL = re.compile(r"^syncd\s*[:\-]", re.IGNORECASE)
_DONE = ("done", "complete", "completed", "shipped", "closed", "finished", "released")
_DOING = ("doing", "in progress", "progress", "review", "testing", "qa", "wip", "started")
_POINTS = re.compile(
    r"^\s*(story\s*points?|points?|estimate|sp|story\s*point\s*estimate)\s*$", re.IGNORECASE
)
_HOURS = re.compile(r"\((h|hours?)\)|\bhours?\b", re.IGNORECASE)


@dataclass(frozen=True)
class BoardContext:
    """What cards refer to by id: lists, labels, members and custom field definitions."""

    lists: Mapping[str, JsonDict] = field(default_factory=dict)
    labels: Mapping[str, JsonDict] = field(default_factory=dict)
    members: Mapping[str, JsonDict] = field(default_factory=dict)
    custom_fields: Mapping[str, JsonDict] = field(default_factory=dict)


def board_context(board: JsonDict) -> BoardContext:
    """Index the nested `lists`, `labels`, `members` and `customFields` of a board."""

    def by_id(rows: Iterable[JsonDict] | None) -> dict[str, JsonDict]:
        return {str(row["id"]): row for row in rows or () if isinstance(row, dict) and "id" in row}

    return BoardContext(
        by_id(board.get("lists")),
        by_id(board.get("labels")),
        by_id(board.get("members")),
        by_id(board.get("customFields")),
    )


def default_category(list_name: str) -> StatusCategory:
    """The category a list name suggests: done/complete/shipped, doing/review/testing, else todo."""
    name = list_name.strip().lower()
    if any(word in name for word in _DONE):
        return StatusCategory.DONE
    if any(word in name for word in _DOING):
        return StatusCategory.IN_PROGRESS
    return StatusCategory.TODO


def parse_time(value: Any) -> datetime | None:
    """A Trello timestamp (`2016-10-01T22:45:33.587Z`) as aware UTC; None when absent."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(str(value).replace("Z", "+00:00")).astimezone(UTC)
    except ValueError as exc:
        raise MappingError(f"not a timestamp: {str(value)[:40]!r}") from exc


def id_time(object_id: str) -> datetime | None:
    """When a Trello object was created: its id starts with 8 hex digits of unix seconds."""
    if len(object_id) != 24:
        return None
    try:
        return datetime.fromtimestamp(int(object_id[:8], 16), tz=UTC)
    except ValueError:
        return None


def is_status_card(card: JsonDict) -> bool:
    """Whether this is syncd's own status card (its description carries the marker)."""
    return MARKER in str(card.get("desc") or "")


def is_own_label(name: str) -> bool:
    """Whether a label name is one of syncd's RAG labels (`syncd: Red`, `syncd-amber`, ...)."""
    return bool(_OWN_LABEL.match(name))


def histories(actions: Iterable[JsonDict]) -> dict[str, list[StatusChange]]:
    """Status changes per card id, oldest first, from `createCard` and list-moving `updateCard`."""
    found: dict[str, list[StatusChange]] = defaultdict(list)
    for action in actions:
        change = status_change(action)
        if change is not None:
            found[str(action["data"]["card"]["id"])].append(change)
    for changes in found.values():
        changes.sort(key=lambda c: c.at)
    return dict(found)


def status_change(action: JsonDict) -> StatusChange | None:
    """One action as a status change, or None when it did not move a card between lists."""
    data = action.get("data") or {}
    if not isinstance(data.get("card"), dict) or "id" not in data["card"]:
        return None
    at = parse_time(action.get("date"))
    if at is None:
        return None
    kind = action.get("type")
    if kind == "createCard" and isinstance(data.get("list"), dict):
        name = str(data["list"].get("name", ""))
        return StatusChange(at, None, name, default_category(name))
    if kind == "updateCard" and isinstance(data.get("listAfter"), dict):
        after = str(data["listAfter"].get("name", ""))
        before = data.get("listBefore") or {}
        return StatusChange(at, before.get("name"), after, default_category(after))
    return None


def normalize_card(
    raw: JsonDict,
    *,
    source: str,
    lists: Mapping[str, JsonDict],
    labels: Mapping[str, JsonDict],
    members: Mapping[str, JsonDict],
    custom_fields: Mapping[str, JsonDict],
    history: Iterable[StatusChange] = (),
) -> WorkItem:
    """One Trello card as a `WorkItem`; raises `MappingError` when it cannot be understood."""
    ctx = BoardContext(lists, labels, members, custom_fields)
    try:
        return card_item(raw, source=source, ctx=ctx, history=history)
    except MappingError:
        raise
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise MappingError(f"card {raw.get('id', '?')}: {type(exc).__name__}: {exc}") from exc


def card_item(
    raw: JsonDict, *, source: str, ctx: BoardContext, history: Iterable[StatusChange]
) -> WorkItem:
    """The body of `normalize_card`, free to fail with any lookup error."""
    card_id = str(raw["id"])
    tlist = ctx.lists.get(str(raw.get("idList")))
    if tlist is None:
        raise MappingError(f"card {card_id} is in unknown list {raw.get('idList')!r}")
    list_name = str(tlist.get("name", ""))
    category = default_category(list_name)
    changes = tuple(sorted(history, key=lambda c: c.at))
    created = id_time(card_id) or (changes[0].at if changes else None)
    changes = with_creation(changes, created, list_name)
    due = parse_time(raw.get("due"))
    numbers, values = custom_values(raw.get("customFieldItems") or (), ctx.custom_fields)
    done, total = checklist_counts(raw)
    return WorkItem(
        source=source,
        external_id=card_id,
        key=str(raw.get("shortLink") or raw.get("idShort") or card_id),
        title=str(raw.get("name", "")),
        url=str(raw.get("url") or raw.get("shortUrl") or ""),
        type="card",
        status=list_name,
        category=category,
        assignee=assignee(raw, ctx.members),
        created=created,
        updated=parse_time(raw.get("dateLastActivity")),
        start=parse_time(raw.get("start")),
        due=due,
        resolved=resolved_at(changes, category, due, due_complete=bool(raw.get("dueComplete"))),
        story_points=numbers.get("points"),
        estimate_hours=numbers.get("hours"),
        checklist_done=done,
        checklist_total=total,
        labels=label_names(raw, ctx.labels),
        container=list_name,
        fields=values,
        archived=bool(raw.get("closed")) or bool(tlist.get("closed")),
        history=changes,
    ).with_hash()


def with_creation(
    changes: tuple[StatusChange, ...], created: datetime | None, list_name: str
) -> tuple[StatusChange, ...]:
    """Add the card's first list at its creation when no `createCard` action said so."""
    if created is None or (changes and changes[0].from_status is None):
        return changes
    first = changes[0].from_status if changes else list_name
    if first is None:
        return changes
    return (StatusChange(created, None, first, default_category(first)), *changes)


def resolved_at(
    changes: tuple[StatusChange, ...],
    category: StatusCategory,
    due: datetime | None,
    *,
    due_complete: bool,
) -> datetime | None:
    """When the card was finished: its last entry into a done list, else a completed due date."""
    if category is StatusCategory.DONE:
        entries = [c.at for c in changes if c.to_category is StatusCategory.DONE]
        if entries:
            return entries[-1]
    return due if due_complete else None


def assignee(raw: JsonDict, members: Mapping[str, JsonDict]) -> str | None:
    """The first member's full name (or username); None when nobody is on the card."""
    for member_id in raw.get("idMembers") or ():
        member = members.get(str(member_id))
        if member:
            return str(member.get("fullName") or member.get("username") or member_id)
    return None


def label_names(raw: JsonDict, labels: Mapping[str, JsonDict]) -> tuple[str, ...]:
    """Label names (the colour for unnamed labels), without syncd's own RAG labels."""
    rows = raw.get("labels")
    if not isinstance(rows, list):
        rows = [labels.get(str(lid), {}) for lid in raw.get("idLabels") or ()]
    names = [str(r.get("name") or r.get("color") or "") for r in rows]
    return tuple(sorted({n for n in names if n and not is_own_label(n)}))


def checklist_counts(raw: JsonDict) -> tuple[int, int]:
    """(checked, total) check items, from nested checklists or else the card's badges."""
    checklists = raw.get("checklists")
    if isinstance(checklists, list) and (checklists or "badges" not in raw):
        items = [i for c in checklists for i in c.get("checkItems") or ()]
        return sum(1 for i in items if i.get("state") == "complete"), len(items)
    badges = raw.get("badges") or {}
    return int(badges.get("checkItemsChecked") or 0), int(badges.get("checkItems") or 0)


def custom_values(
    items: Iterable[JsonDict], definitions: Mapping[str, JsonDict]
) -> tuple[dict[str, float], tuple[tuple[str, str], ...]]:
    """Custom field values as (name, text) pairs, plus story points and hours found among them."""
    numbers: dict[str, float] = {}
    pairs: list[tuple[str, str]] = []
    for item in items:
        definition = definitions.get(str(item.get("idCustomField")))
        if definition is None:
            continue
        name = str(definition.get("name", ""))
        text = custom_text(item, definition)
        if text is None:
            continue
        pairs.append((name, text))
        if definition.get("type") == "number" or _POINTS.match(name):
            number = to_number(text)
            if number is not None and _HOURS.search(name):
                numbers["hours"] = number
            elif number is not None and _POINTS.match(name):
                numbers["points"] = number
    return numbers, tuple(sorted(pairs))


def custom_text(item: JsonDict, definition: JsonDict) -> str | None:
    """One custom field value as text: list options by their text, numbers as Trello sent them."""
    if item.get("idValue"):
        for option in definition.get("options") or ():
            if option.get("id") == item["idValue"]:
                return str((option.get("value") or {}).get("text", ""))
        return None
    value = item.get("value")
    if not isinstance(value, dict) or not value:
        return None
    for kind in ("text", "number", "date", "checked"):
        if kind in value:
            return str(value[kind]).lower() if kind == "checked" else str(value[kind])
    return None


def to_number(text: str) -> float | None:
    """A number Trello sent as a string; None when it is not one."""
    try:
        return float(text)
    except ValueError:
        return None
