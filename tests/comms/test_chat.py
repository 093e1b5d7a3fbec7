"""A RAG change sends the Slack and Teams messages once, and the sandbox takes them as their
documented shapes; a message that misses the shape is refused."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import date
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from syncd import store
from syncd.clients import Client
from syncd.comms import delivery
from syncd.comms.chat import slack_message
from syncd.comms.delivery import Channels
from syncd.mapping.config import LinkRule, MappingConfig
from syncd.model import WorkItem
from syncd.pipeline import store_and_queue
from syncd.plan.reconcile import reconcile
from syncd.plan.result import Reconciliation
from syncd.plan.snapshot import StatusSnapshot
from syncd.sandbox import Sandbox, SandboxConfig
from syncd.sandbox.chat import SCHEMAS
from syncd.store.baselines import save_baseline
from syncd.store.comms import get_delivery
from syncd.store.items import upsert_items
from tests.comms.conftest import CLIENT, ENV, write_client
from tests.reports.sample import REPO, acme


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seed=5, jira_issues=5, trello_cards=2)) as running:
        yield running


@pytest.fixture
def chat_client(tmp_path: Path, sandbox: Sandbox) -> Client:
    env = ENV | {
        "ACME_SLACK": f"{sandbox.url}/chat/slack/T0001/B0001/slack-hook-secret",
        "ACME_TEAMS": f"{sandbox.url}/chat/teams/workflows/teams-hook-secret",
    }
    return write_client(tmp_path / "config", CLIENT, env)


def _seed_until(engine: Engine, last: int) -> None:
    """Acme's baseline, items and snapshots up to its `last`-th status date, the one before it
    stored as amber (as if the team had been ahead of plan then)."""
    sample = acme()
    save_baseline(engine, "acme", sample.plan.to_dict(), label=sample.plan.label, source_file="x")
    with store.sessions(engine).begin() as session:
        for day in sample.dates[:last]:
            data = sample.snapshot(day).to_dict()
            data["reconciliation"]["rag"] = {"level": "amber", "reasons": ["SPI 0.93 < 0.95"]}
            store.save_snapshot(session, "acme", day, baseline_version=1, data=data)
        upsert_items(session, "acme", sample.items(sample.dates[last]))


def _red_snapshot(day: date) -> tuple[Reconciliation, StatusSnapshot, list[WorkItem]]:
    sample = acme()
    config = MappingConfig(links=[LinkRule(by="wbs_in_title")])
    items = sample.items(day)
    rec = reconcile(sample.plan, items, as_of=day, config=config)
    snapshot = StatusSnapshot(rec, baseline_version=1, baseline_label=sample.plan.label)
    return rec, snapshot, items


def test_a_rag_change_sends_slack_and_teams_once_in_their_documented_shapes(
    sqlite_engine: Engine, chat_client: Client, sandbox: Sandbox
) -> None:
    """Amber before, red now: one delivery per chat entry; reconciling again queues none."""
    _seed_until(sqlite_engine, 4)
    day = acme().dates[4]
    rec, snapshot, items = _red_snapshot(day)
    queued = store_and_queue(sqlite_engine, chat_client, rec, snapshot, items)
    delivers = [job for kind, job in queued if kind == "deliver"]
    assert len(delivers) == 2
    before = len(sandbox.chat.all())
    for entry in ("rag-slack", "rag-teams"):
        key = delivery.key_of("acme", entry, day)
        assert delivery.deliver(sqlite_engine, chat_client, key, channels=Channels()) == "sent"
        assert get_delivery(sqlite_engine, key).reason == "RAG changed from amber to red"  # type: ignore[union-attr]
    again = store_and_queue(sqlite_engine, chat_client, rec, snapshot, items)
    assert [kind for kind, _ in again if kind == "deliver"] == []
    got = sandbox.chat.all()[before:]
    assert sorted(m.service for m in got) == ["slack", "teams"]
    slack = next(m for m in got if m.service == "slack").body
    assert slack["blocks"][0]["type"] == "header" and "RED" in slack["text"]
    assert any(b["type"] == "actions" for b in slack["blocks"])  # the dashboard link
    teams = next(m for m in got if m.service == "teams").body
    card = teams["attachments"][0]["content"]
    assert card["type"] == "AdaptiveCard" and card["actions"][0]["url"].endswith("/clients/acme")
    assert "RAG changed from amber to red" in json.dumps(card)


def test_the_sandbox_refuses_a_message_that_misses_the_shape(sandbox: Sandbox) -> None:
    """A header over 150 characters and a Teams MessageCard are refused with where and why."""
    too_long = {
        "text": "x",
        "blocks": [{"type": "header", "text": {"type": "plain_text", "text": "h" * 151}}],
    }
    message_card = {"@type": "MessageCard", "summary": "old connector format", "text": "hi"}
    with httpx.Client(base_url=sandbox.url) as http:
        slack = http.post("/chat/slack/T/B/x", json=too_long)
        teams = http.post("/chat/teams/x", json=message_card)
    assert slack.status_code == 400 and "blocks/0/text/text" in slack.json()["problems"][0]
    assert teams.status_code == 400


def test_long_and_hostile_text_still_fits_slack() -> None:
    """Titles and reasons of any length or markup make a message the schema accepts; Slack's
    control characters are escaped so a reason cannot mention @channel or forge a link."""
    from dataclasses import replace

    from syncd.plan.rag import Rag, RagStatus
    from syncd.sandbox.chat import problems
    from tests.reports.conftest import status_of

    status = status_of(acme())
    hostile = "<!channel> <https://evil.example|click> " + "y" * 5000
    status = replace(
        status,
        headline=hostile,
        rag=RagStatus(Rag.RED, (hostile,)),
        client=replace(status.client, name="N" * 300),
    )
    body = slack_message(status, reason=hostile)
    assert problems("slack", body) == []
    assert "<!channel>" not in json.dumps(body) and "&lt;!channel&gt;" in json.dumps(body)


def test_the_schemas_in_the_fixtures_are_the_sandbox_s() -> None:
    """tests/fixtures/chat holds the very schemas the sandbox validates with."""
    for name in SCHEMAS.values():
        ours = (REPO / "syncd" / "sandbox" / "chat_schemas" / name).read_text(encoding="utf-8")
        assert (REPO / "tests" / "fixtures" / "chat" / name).read_text(encoding="utf-8") == ours
