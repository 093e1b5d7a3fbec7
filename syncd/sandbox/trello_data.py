"""The Trello half of the seeded generator: boards, lists, labels, custom fields, cards, actions."""

from __future__ import annotations

import random
from datetime import datetime, timedelta
from typing import Any

from syncd.sandbox.config import SandboxConfig
from syncd.sandbox.state import (
    Action,
    Board,
    Card,
    CheckItem,
    Checklist,
    CustomField,
    Label,
    Member,
    State,
    TList,
)

LIST_NAMES = ("Backlog", "To Do", "Doing", "Review", "Done")
LABEL_COLORS = (
    ("red", "Urgent"),
    ("yellow", "Waiting"),
    ("green", "Quick win"),
    ("blue", "Backend"),
    ("orange", "Frontend"),
    ("purple", "Client"),
)
DEMO_LABELS = (
    ("1.1", "green"),
    ("1.2", "yellow"),
    ("1.3", "orange"),
    ("2.1", "blue"),
    ("2.2", "purple"),
    ("3", "red"),
)
DEMO_CARDS = (
    ("1.1", "Stakeholder interviews", "Done"),
    ("1.1", "Current-state map", "Done"),
    ("1.2", "Wireframes", "Review"),
    ("1.2", "Style guide", "Doing"),
    ("1.3", "Legacy data audit", "To Do"),
    ("1.3", "Migration scripts", "Backlog"),
    ("2.1", "Orders endpoint", "Doing"),
    ("2.1", "Auth endpoint", "Done"),
    ("2.2", "Dashboard page", "To Do"),
    ("2.2", "Settings page", "Backlog"),
    ("3", "Go-live checklist", "Backlog"),
)
MEMBERS = (("ann", "Ann Berg"), ("ben", "Ben Cole"), ("cai", "Cai Dunn"), ("dev", "Dev Ekwe"))
WORDS = ("API", "docs", "login", "export", "search", "import", "billing", "report", "mobile")


def generate(state: State, rng: random.Random, cfg: SandboxConfig) -> None:
    """Add `cfg.boards` boards holding `cfg.trello_cards` cards (or the demo board)."""
    start = state.clock.now() - timedelta(days=150)
    add_members(state, start)
    if cfg.demo:
        board = make_board(state, rng, "ACME Delivery", start, demo=True)
        for wbs, title, list_name in DEMO_CARDS:
            label = next(lb for lb in board.labels if state.labels[lb].name == wbs)
            make_card(state, rng, board, f"[{wbs}] {title}", list_name=list_name, labels=[label])
        sort_actions(state)
        return
    boards = [
        make_board(state, rng, f"Board {n + 1}", start, demo=False)
        for n in range(max(cfg.boards, 1))
    ]
    for n in range(cfg.trello_cards):
        board = boards[n % len(boards)]
        name = f"{rng.choice(WORDS).title()} {rng.choice(WORDS)} #{n + 1}"
        make_card(state, rng, board, name, list_name=None, labels=None)
    sort_actions(state)


def add_members(state: State, when: datetime) -> None:
    """The board members every board gets."""
    for username, full_name in MEMBERS:
        member = Member(state.trello_id(when), username, full_name)
        state.members[member.id] = member


def sort_actions(state: State) -> None:
    """Put every board's actions in time order (generation creates them out of order)."""
    for board in state.boards.values():
        board.actions.sort(key=lambda a: (state.actions[a].date, a))


def make_board(state: State, rng: random.Random, name: str, when: datetime, *, demo: bool) -> Board:
    """A board with the usual lists, labels, members and custom fields."""
    board = Board(state.trello_id(when), name, f"sb{len(state.boards):06d}")
    state.boards[board.id] = board
    board.members = list(state.members)
    for n, list_name in enumerate(LIST_NAMES):
        add_list(state, board, list_name, when, pos=16384.0 * (n + 1))
    if not demo:
        add_list(state, board, "Old ideas", when, pos=16384.0 * 10).closed = True
    pairs = DEMO_LABELS if demo else tuple((n, c) for c, n in LABEL_COLORS)
    for label_name, color in pairs:
        label = Label(state.trello_id(when), board.id, label_name, color)
        state.labels[label.id] = label
        board.labels.append(label.id)
    fields: list[tuple[str, str]] = [
        ("Estimate (h)", "number"),
        ("WBS", "text"),
        ("Phase", "list"),
        ("Blocked", "checkbox"),
    ]
    for n, (field_name, kind) in enumerate(fields):
        field = CustomField(state.trello_id(when), board.id, field_name, kind, 16384.0 * (n + 1))
        if kind == "list":
            field.options = {state.trello_id(when): text for text in ("Plan", "Build", "Run")}
        state.custom_fields[field.id] = field
        board.custom_fields.append(field.id)
    del rng
    return board


def add_list(state: State, board: Board, name: str, when: datetime, *, pos: float) -> TList:
    """Add a list to a board."""
    tlist = TList(state.trello_id(when), board.id, name, pos)
    state.lists[tlist.id] = tlist
    board.lists.append(tlist.id)
    return tlist


def make_card(
    state: State,
    rng: random.Random,
    board: Board,
    name: str,
    *,
    list_name: str | None,
    labels: list[str] | None,
) -> Card:
    """One card, created some time ago, moved along the lists, with checklists and fields."""
    now = state.clock.now()
    created = now - timedelta(days=rng.uniform(3, 120))
    open_lists = [lid for lid in board.lists if not state.lists[lid].closed]
    target = rng.choices(range(len(open_lists)), weights=(2, 3, 2, 1, 3))[0]
    if list_name:
        target = [state.lists[lid].name for lid in open_lists].index(list_name)
    card = Card(
        id=state.trello_id(created),
        id_board=board.id,
        id_list=open_lists[0],
        id_short=len(board.cards) + 1,
        name=name,
        pos=16384.0 * (len(board.cards) + 1),
        date_last_activity=created,
        desc=f"Card {name}",
        id_labels=labels if labels is not None else rng.sample(board.labels, rng.randint(0, 2)),
        id_members=rng.sample(board.members, rng.randint(0, 2)),
    )
    state.cards[card.id] = card
    board.cards.append(card.id)
    record_action(state, board, "createCard", created, card_data(card, state), None)
    when = created
    for step in open_lists[1 : target + 1]:
        when = when + (now - when) * rng.uniform(0.1, 0.4)
        move_card(state, card, step, when)
    decorate_card(state, rng, board, card, done=target == len(open_lists) - 1)
    return card


def decorate_card(
    state: State, rng: random.Random, board: Board, card: Card, *, done: bool
) -> None:
    """Due dates, a checklist, custom field values, sometimes archived."""
    if rng.random() < 0.6:
        card.due = card.date_last_activity + timedelta(days=rng.uniform(-10, 40))
        card.due_complete = done
    if rng.random() < 0.4:
        checklist = Checklist(
            state.trello_id(card.date_last_activity), board.id, card.id, "Checklist", 16384.0
        )
        for n in range(rng.randint(2, 5)):
            complete = done or rng.random() < 0.4
            checklist.items.append(
                CheckItem(
                    state.trello_id(card.date_last_activity),
                    f"Step {n + 1}",
                    "complete" if complete else "incomplete",
                    16384.0 * (n + 1),
                )
            )
        state.checklists[checklist.id] = checklist
        card.checklists.append(checklist.id)
    for field_id in board.custom_fields:
        if rng.random() < 0.6:
            set_item(state, card, state.custom_fields[field_id], rng)
    if rng.random() < 0.05:
        card.closed = True


def set_item(state: State, card: Card, field: CustomField, rng: random.Random) -> None:
    """A custom field value as Trello stores it (numbers and booleans as strings)."""
    item: dict[str, Any] = {
        "id": state.trello_id(card.date_last_activity),
        "idCustomField": field.id,
    }
    if field.type == "number":
        item["value"] = {"number": str(rng.choice((1, 2, 3, 5, 8, 13, 20)))}
    elif field.type == "text":
        item["value"] = {"text": f"{rng.randint(1, 3)}.{rng.randint(1, 3)}"}
    elif field.type == "checkbox":
        item["value"] = {"checked": "true"}
    else:
        item["idValue"] = rng.choice(list(field.options))
    card.custom_items[field.id] = item


def card_data(card: Card, state: State) -> dict[str, Any]:
    """The `data` Trello puts into card actions."""
    board = state.boards[card.id_board]
    tlist = state.lists[card.id_list]
    return {
        "card": {
            "id": card.id,
            "name": card.name,
            "idShort": card.id_short,
            "shortLink": f"c{card.id[-7:]}",
            "idList": card.id_list,
        },
        "board": {"id": board.id, "name": board.name, "shortLink": board.short_link},
        "list": {"id": tlist.id, "name": tlist.name},
    }


def move_card(state: State, card: Card, list_id: str, when: datetime, member: str = "") -> Action:
    """Move a card to another list, as an `updateCard` action with listBefore/listAfter."""
    before = state.lists[card.id_list]
    after = state.lists[list_id]
    card.id_list = list_id
    card.date_last_activity = when
    board = state.boards[card.id_board]
    data = card_data(card, state)
    data.pop("list")
    data["old"] = {"idList": before.id}
    data["listBefore"] = {"id": before.id, "name": before.name}
    data["listAfter"] = {"id": after.id, "name": after.name}
    return record_action(state, board, "updateCard", when, data, member or None)


def record_action(
    state: State,
    board: Board,
    kind: str,
    when: datetime,
    data: dict[str, Any],
    member: str | None,
) -> Action:
    """Append an action to the board's history (in time order, or see `sort_actions`)."""
    action = Action(state.trello_id(when), board.id, kind, when, member or board.members[0], data)
    state.actions[action.id] = action
    board.actions.append(action.id)
    state.touch()
    return action
