"""End to end over real HTTP: a 5,000-card sandbox board, Trello's limits, injected faults."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from syncd.connectors.base import MARKER
from syncd.connectors.trello.connector import TrelloConnector
from syncd.model import PullResult
from syncd.sandbox import Faults, Sandbox, SandboxConfig
from syncd.store.items import count_items
from syncd.store.pulls import commit_pull, get_cursor
from syncd.testing import run, sample_status
from tests.connectors.harness_trello import trello_config, trello_secrets

CLIENT = "acme"


def faults() -> Faults:
    """5% 5xx, 2% dropped connections; a new value each time, so setting it re-seeds the dice."""
    return Faults(error_rate=0.05, drop_rate=0.02, seed=11)


@pytest.fixture(scope="module")
def board() -> Iterator[Sandbox]:
    """5,000 cards, Trello's real budgets (100 / 10 s a token), 5% 5xx, 2% dropped connections."""
    config = SandboxConfig(
        seed=1, jira_issues=0, trello_cards=5000, trello_limits=True, faults=faults()
    )
    with Sandbox(config) as sb:
        yield sb


@pytest.fixture
def sandbox(board: Sandbox) -> Sandbox:
    """The module's board with the fault dice re-seeded: each test meets the same faults,
    whichever test ran before it."""
    board.set_faults(faults())
    board.reset_stats()
    return board


async def pull_into(engine: Engine, conn: TrelloConnector, **kwargs: Any) -> list[PullResult]:
    """Pull and commit each page as it comes; the cursor moves with the last page only."""
    pages: list[PullResult] = []
    held: PullResult | None = None
    async for page in conn.pull(**kwargs):
        if held is not None:
            commit_pull(engine, CLIENT, conn.id, held, final=False)
        pages.append(page)
        held = page
    assert held is not None
    commit_pull(engine, CLIENT, conn.id, held, final=True)
    return pages


def board_cards(sb: Sandbox) -> set[str]:
    state = sb.state
    with state.lock:
        board = state.boards[sb.board_ids[0]]
        return {c for c in board.cards if MARKER not in state.cards[c].desc}


@pytest.mark.slow
def test_every_card_arrives_once_despite_faults(sandbox: Sandbox, sqlite_engine: Engine) -> None:
    """A full then an incremental pull store all 5,000 cards once; Trello's limits hold."""
    conn = TrelloConnector(trello_config(sandbox), trello_secrets(sandbox))

    async def go() -> tuple[list[PullResult], list[PullResult], dict[str, int]]:
        try:
            pages = await pull_into(sqlite_engine, conn, since=None, census=True)
            cursor = get_cursor(sqlite_engine, CLIENT, conn.id)
            assert cursor is not None and cursor.cursor is not None
            moved = sandbox.advance(minutes=5)
            return pages, await pull_into(sqlite_engine, conn, since=cursor.cursor), moved
        finally:
            await conn.aclose()

    pages, later, moved = run(go())
    got = Counter(i.external_id for p in pages for i in p.items)
    assert set(got) == board_cards(sandbox) and max(got.values()) == 1
    changed = {i.external_id for p in later for i in p.items}
    assert sum(moved.values()) == 0 or changed
    assert len(changed) < len(board_cards(sandbox))
    assert count_items(sqlite_engine, CLIENT, conn.id) == len(board_cards(sandbox))
    stats = sandbox.stats()
    assert stats["faults"].get("drop", 0) + stats["faults"].get("500", 0) > 0
    assert "trello-429" not in stats["faults"]


@pytest.mark.slow
def test_status_pushed_three_times_leaves_one_card_and_one_comment(sandbox: Sandbox) -> None:
    """Three pushes (the last one a change) through faults: one status card, one comment."""
    conn = TrelloConnector(trello_config(sandbox), trello_secrets(sandbox))

    async def go() -> None:
        try:
            first = await conn.push(sample_status(), target=conn.config.board, known={})
            await conn.push(sample_status(), target=conn.config.board, known={})
            await conn.push(sample_status(rag="red"), target=conn.config.board, known=first.remote)
        finally:
            await conn.aclose()

    run(go())
    state = sandbox.state
    with state.lock:
        board = state.boards[sandbox.board_ids[0]]
        cards = [state.cards[c] for c in board.cards if MARKER in state.cards[c].desc]
        comments = [
            a
            for a in (state.actions[x] for x in board.actions)
            if a.type == "commentCard" and MARKER in a.data.get("text", "")
        ]
    assert len(cards) == 1 and len(comments) == 1
    assert "Red" in comments[0].data["text"]
    assert "trello-429" not in sandbox.stats()["faults"]
