"""The simulated team: when the clock advances, people move work along and the tools record it.

Each open issue moves one status forward with a chance that grows with the hours passed, and
whoever moves it logs the work (a dated worklog); cards move to the next list the same way.
Every move writes Jira changelog or a Trello `updateCard` action at a time inside the advanced
interval, bumps `updated`, and is sent to webhook subscribers. Seeded, so the same sequence of
`advance` calls gives the same world.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from syncd.sandbox.context import Context
from syncd.sandbox.data import USERS, log_work, record_status_change
from syncd.sandbox.events import notify_action, notify_issue
from syncd.sandbox.state import STATUSES, Card, Issue, State
from syncd.sandbox.trello_data import move_card

HOURLY_MOVE_CHANCE = 0.03


@dataclass(frozen=True)
class Move:
    """One planned change: an issue's next status or a card's next list."""

    when: datetime
    issue: Issue | None = None
    card: Card | None = None
    target: str = ""


def advance(ctx: Context, rng: random.Random, hours: float) -> dict[str, int]:
    """Move the clock on by `hours` and let the team work; counts of issues and cards moved."""
    state = ctx.state
    with state.lock:
        start = state.clock.now()
        delta = timedelta(hours=hours)
        chance = 1 - (1 - HOURLY_MOVE_CHANCE) ** hours
        moves = plan_issue_moves(state, rng, start, delta, chance)
        moves += plan_card_moves(state, rng, start, delta, chance)
        moves.sort(key=lambda m: m.when)
        state.clock.advance(delta)
        for move in moves:
            apply(ctx, rng, move)
        state.touch()
    return {"issues": sum(1 for m in moves if m.issue), "cards": sum(1 for m in moves if m.card)}


def plan_issue_moves(
    state: State, rng: random.Random, start: datetime, delta: timedelta, chance: float
) -> list[Move]:
    """Which issues move, to which status, when."""
    moves = []
    order = [s.id for s in STATUSES]
    for key in sorted(state.issues, key=lambda k: state.issues[k].id):
        issue = state.issues[key]
        if issue.status.category == "done" or rng.random() >= chance:
            continue
        target = order[order.index(issue.status_id) + 1]
        moves.append(Move(start + delta * rng.random(), issue=issue, target=target))
    return moves


def plan_card_moves(
    state: State, rng: random.Random, start: datetime, delta: timedelta, chance: float
) -> list[Move]:
    """Which open cards move to the next open list, when."""
    moves = []
    for board in state.boards.values():
        open_lists = [lid for lid in board.lists if not state.lists[lid].closed]
        for card_id in board.cards:
            card = state.cards[card_id]
            if card.closed or card.id_list not in open_lists[:-1] or rng.random() >= chance:
                continue
            target = open_lists[open_lists.index(card.id_list) + 1]
            moves.append(Move(start + delta * rng.random(), card=card, target=target))
    return moves


def apply(ctx: Context, rng: random.Random, move: Move) -> None:
    """Carry out one move and tell the subscribers."""
    state = ctx.state
    if move.issue is not None:
        issue = move.issue
        author = issue.assignee or rng.choice(USERS)[0]
        if issue.original_estimate_s:
            worked = rng.choice((1, 2, 4)) * 3600
            began = move.when - timedelta(seconds=worked)
            log_work(state, issue, worked, began, author=author, when=move.when)
        history = record_status_change(state, issue, move.target, move.when, author=author)
        issue.updated = move.when
        notify_issue(ctx, issue, history=history, user=author)
    elif move.card is not None:
        card = move.card
        board = state.boards[card.id_board]
        member = rng.choice(board.members)
        action = move_card(state, card, move.target, move.when, member)
        last_open = [lid for lid in board.lists if not state.lists[lid].closed][-1]
        if move.target == last_open:
            card.due_complete = card.due is not None
            for checklist in card.checklists:
                for item in state.checklists[checklist].items:
                    item.state = "complete"
        notify_action(ctx, action)
