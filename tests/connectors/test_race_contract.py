"""Two pushes racing on one target: what they send to tidy up after each other is still
what the official documents allow."""

from __future__ import annotations

import asyncio

import httpx
import pytest

from syncd.connectors.jira.config import JiraPush
from syncd.connectors.jira.connector import JiraConnector
from syncd.connectors.trello.connector import TrelloConnector
from syncd.sandbox import Sandbox, SandboxConfig
from syncd.testing import run, sample_status
from tests.connectors.harness_jira import jira_config, jira_secrets
from tests.connectors.harness_trello import trello_config, trello_secrets
from tests.connectors.test_jira_e2e import ContractTransport


class Recording(ContractTransport):
    """Checks every exchange against its document and keeps `METHOD path` of each."""

    def __init__(self) -> None:
        super().__init__()
        self.sent: list[str] = []
        self.open_cards_read = 0  # reads of a board's open cards: the twin check

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.sent.append(f"{request.method} {request.url.path}")
        board_cards = request.url.path.endswith("/cards/open") or (
            "/boards/" in request.url.path and request.url.params.get("cards") == "open"
        )
        self.open_cards_read += request.method == "GET" and board_cards
        return await super().handle_async_request(request)


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "dc"])
def test_racing_jira_pushes_delete_the_twin_comment_within_the_contract(cloud: bool) -> None:
    """Both writers create a status comment; the younger is deleted, by requests the Jira
    document allows, and one comment is left. (With labels on, each reads the issue before
    writing, and both find it without syncd's property: both create.)"""
    with Sandbox(SandboxConfig(seed=2, jira_issues=30, trello_cards=0)) as sb:
        transport = Recording()
        config = jira_config(sb, cloud=cloud, push=JiraPush(issues=["ACME-1"], labels=True))

        async def scenario() -> None:
            a = JiraConnector(config, jira_secrets(sb, cloud=cloud), transport=transport)
            b = JiraConnector(config, jira_secrets(sb, cloud=cloud), transport=transport)
            try:
                await asyncio.gather(
                    a.push(sample_status(), target="ACME-1", known={}),
                    b.push(sample_status(), target="ACME-1", known={}),
                )
            finally:
                await a.aclose()
                await b.aclose()

        run(scenario())
        comments = sb.state.issues["ACME-1"].comments
    assert transport.problems == []
    assert any(sent.startswith("DELETE") and "/comment/" in sent for sent in transport.sent)
    assert sum(1 for c in comments if "syncd" in c.properties) == 1


def test_racing_trello_pushes_archive_the_twin_card_within_the_contract() -> None:
    """Both writers create a status card; the younger is archived, by requests the Trello
    document allows, and one open status card is left."""
    with Sandbox(SandboxConfig(seed=3, jira_issues=0, trello_cards=30)) as sb:
        transport = Recording()

        async def scenario() -> None:
            a = TrelloConnector(trello_config(sb), trello_secrets(sb), transport=transport)
            b = TrelloConnector(trello_config(sb), trello_secrets(sb), transport=transport)
            try:
                await asyncio.gather(
                    a.push(sample_status(), target=sb.board_ids[0], known={}),
                    b.push(sample_status(), target=sb.board_ids[0], known={}),
                )
            finally:
                await a.aclose()
                await b.aclose()

        run(scenario())
        state = sb.state
        open_cards = [
            c
            for c in state.cards.values()
            if c.id_board == sb.board_ids[0] and not c.closed and "syncd:status" in c.desc
        ]
    assert transport.problems == []
    assert transport.open_cards_read >= 2  # each writer looked for the other's card
    assert any(sent.startswith("PUT /trello/1/cards/") for sent in transport.sent)  # archived
    assert len(open_cards) == 1
