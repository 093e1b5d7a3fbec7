"""The demo's story: three clients on their own project and board, green, amber and red."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest

from syncd import store
from syncd.clients import load_client
from syncd.db import make_engine
from syncd.demo import DemoOptions, backfill, prepare, start_sandbox
from syncd.migrate import upgrade
from syncd.pipeline import import_plan, reconcile_client
from syncd.sandbox import Sandbox
from syncd.sandbox.story import STORIES, plan_start
from syncd.settings import Settings

ANCHOR = date(2026, 12, 4)


@pytest.fixture(scope="module")
def demo(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Sandbox, Settings]]:
    root: Path = tmp_path_factory.mktemp("story") / "demo"
    options = DemoOptions(directory=root, anchor=ANCHOR)
    sb, boards = start_sandbox(options)
    try:
        yield sb, prepare(options, sb.url, boards)
    finally:
        sb.stop()


def test_each_client_has_its_own_project_and_board(demo: tuple[Sandbox, Settings]) -> None:
    sb, _ = demo
    assert {s.project for s in STORIES} <= set(sb.state.projects)
    assert [b.name for b in sb.state.boards.values()] == [s.board for s in STORIES]


def test_the_clients_are_green_amber_and_red_for_their_own_reasons(
    demo: tuple[Sandbox, Settings],
) -> None:
    """Pulled over HTTP and reconciled: Acme on plan, Globex growing in scope, Initech late
    with its go-live at risk; a backfilled day sees that day's states, not today's."""
    _, settings = demo
    engine = make_engine(settings.db_url)
    upgrade(engine)
    colours = {}
    for story in STORIES:
        client = load_client(settings.clients_dir, story.client)
        import_plan(engine, client)
        first = ANCHOR - timedelta(days=14)
        assert backfill(engine, client, first, ANCHOR - timedelta(days=1)) == 14
        rec, _, _ = reconcile_client(engine, client, as_of=ANCHOR)
        colours[story.client] = rec
        stored = [
            s.data["reconciliation"]["project"]["ev"]
            for s in store.load_snapshots(engine, story.client)
        ]
        assert len(stored) == 14 and stored[0] < stored[-1] <= rec.project.ev
    assert colours["acme"].rag.level.value == "green"
    assert colours["globex"].rag.level.value == "amber"
    assert any("scope growth" in r for r in colours["globex"].rag.reasons)
    assert colours["initech"].rag.level.value == "red"
    assert any(m.at_risk and m.slip_days >= 5 for m in colours["initech"].milestones)
    engine.dispose()


def test_the_plans_start_on_a_monday_before_the_anchor() -> None:
    for day in range(7):
        anchor = ANCHOR + timedelta(days=day)
        start = plan_start(anchor)
        assert start.weekday() == 0 and 50 <= (anchor - start).days < 57


def test_item_links_open_the_sandboxs_own_pages(demo: tuple[Sandbox, Settings]) -> None:
    """A browser following a demo item's link gets a page for it: a Jira issue under
    /cloud/browse (and /dc/browse), a Trello card under the sandbox's own /trello/c."""
    sb, _ = demo
    with httpx.Client(base_url=sb.url, timeout=10) as http:
        for flavour in ("cloud", "dc"):
            page = http.get(f"/{flavour}/browse/INI-2")
            assert page.status_code == 200 and "text/html" in page.headers["content-type"]
            assert "INI-2 1.1 Discovery" in page.text and "History" in page.text
        assert http.get("/cloud/browse/INI-999").status_code == 404
        board = next(b for b in sb.state.boards.values() if b.name == "Initech Delivery")
        cards = http.get(
            f"/trello/1/boards/{board.id}/cards",
            params={"key": "sandbox-key", "token": "sandbox-trello-token"},
        ).json()
        url = cards[0]["url"]
        assert url.startswith(f"{sb.url}/trello/c/")
        page = http.get(url.removeprefix(sb.url))
        assert page.status_code == 200 and cards[0]["name"] in page.text
        assert "Initech Delivery" in page.text


def test_a_title_with_markup_is_text_on_the_item_page(demo: tuple[Sandbox, Settings]) -> None:
    sb, _ = demo
    issue = sb.state.issues["ACME-3"]
    title = issue.summary
    issue.summary = "<script>alert(1)</script>"
    try:
        with httpx.Client(base_url=sb.url, timeout=10) as http:
            page = http.get("/cloud/browse/ACME-3").text
        assert "<script>alert" not in page and "&lt;script&gt;alert(1)&lt;/script&gt;" in page
    finally:
        issue.summary = title
