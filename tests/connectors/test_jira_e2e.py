"""The Jira connector against the sandbox over real HTTP, with faults, into a real SQLite store."""

from __future__ import annotations

from collections import Counter
from typing import Any

import httpx
import pytest
from sqlalchemy.engine import Engine

from syncd.connectors.jira.config import JiraPush
from syncd.connectors.jira.connector import JiraConnector
from syncd.model import PullResult
from syncd.sandbox import Faults, Sandbox, SandboxConfig
from syncd.store.items import count_items
from syncd.store.pulls import commit_pull, get_cursor
from syncd.testing import Fault, FaultTransport, run, sample_status
from tests.connectors.harness_jira import change_issue, jira_config, jira_secrets
from tests.contracts import contract_errors

CLIENT = "acme"
FAULTS = Faults(error_rate=0.05, drop_rate=0.02, jira_429_every=50, retry_after_s=1, seed=7)


async def pull_into(connector: JiraConnector, engine: Engine, since: Any = None) -> list[str]:
    """Commit every page into the store as sync does; the external ids in arrival order."""
    seen: list[str] = []
    newest = None
    async for page in connector.pull(since):
        commit_pull(engine, CLIENT, connector.id, page, final=False)
        seen.extend(item.external_id for item in page.items)
        newest = page.cursor or newest
    commit_pull(engine, CLIENT, connector.id, PullResult(cursor=newest))
    return seen


@pytest.mark.slow
@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "dc"])
def test_ten_thousand_issues_arrive_exactly_once_through_faults(
    cloud: bool, sqlite_engine: Engine
) -> None:
    """10,000 issues through 429s, 5xx and dropped connections: each stored exactly once."""
    with Sandbox(SandboxConfig(seed=1, jira_issues=10000, trello_cards=0, faults=FAULTS)) as sb:

        async def scenario() -> list[str]:
            connector = JiraConnector(
                jira_config(sb, cloud=cloud, page_size=100),
                jira_secrets(sb, cloud=cloud),
            )
            try:
                return await pull_into(connector, sqlite_engine)
            finally:
                await connector.aclose()

        seen = run(scenario())
        faults = sb.stats()["faults"]
        expected = {str(issue.id) for issue in sb.state.issues.values()}
    assert max(Counter(seen).values()) == 1
    assert set(seen) == expected
    assert count_items(sqlite_engine, CLIENT, "acme-jira") == 10000
    assert sum(faults.values()) > 0


def test_incremental_pull_after_the_team_worked(sqlite_engine: Engine) -> None:
    """After simulated work, a pull from the cursor brings every issue the team touched."""
    with Sandbox(SandboxConfig(seed=4, jira_issues=400, trello_cards=0)) as sb:

        async def first() -> None:
            connector = JiraConnector(jira_config(sb), jira_secrets(sb))
            try:
                await pull_into(connector, sqlite_engine)
                cursor = get_cursor(sqlite_engine, CLIENT, "acme-jira")
                assert cursor is not None
                before = {k: i.updated for k, i in sb.state.issues.items()}
                sb.advance(hours=6)
                touched = {str(i.id) for k, i in sb.state.issues.items() if i.updated != before[k]}
                again = await pull_into(connector, sqlite_engine, cursor.cursor)
                assert touched and touched <= set(again)
                assert len(again) < len(before)
            finally:
                await connector.aclose()

        run(first())


def test_status_pushed_three_times_through_faults_leaves_one_comment() -> None:
    """Three pushes with dropped answers and injected faults leave exactly one status comment."""
    with Sandbox(SandboxConfig(seed=5, jira_issues=50, trello_cards=0, faults=FAULTS)) as sb:
        transport = FaultTransport(httpx.AsyncHTTPTransport())
        transport.arm(Fault("lose_response", method="POST", path="/comment"))

        async def scenario() -> list[bool]:
            connector = JiraConnector(jira_config(sb), jira_secrets(sb), transport=transport)
            try:
                known: dict[str, Any] = {}
                changed = []
                for _ in range(3):
                    outcome = await connector.push(sample_status(), target="ACME-1", known={})
                    known = outcome.remote
                    changed.append(outcome.changed)
                again = await connector.push(sample_status(), target="ACME-1", known=known)
                changed.append(again.changed)
                return changed
            finally:
                await connector.aclose()

        changed = run(scenario())
        comments = sb.state.issues["ACME-1"].comments
    assert sum(1 for c in comments if "syncd" in c.properties) == 1
    assert changed[-1] is False


class ContractTransport(httpx.AsyncBaseTransport):
    """Checks every exchange against the official OpenAPI document."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.problems: list[str] = []
        self.routes: set[str] = set()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        response = await self.inner.handle_async_request(request)
        await response.aread()
        self.routes.add(f"{request.method} {request.url.path.split('/rest/api/')[-1][:20]}")
        self.problems.extend(contract_errors(request, response))
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "dc"])
def test_every_exchange_matches_the_official_contract(cloud: bool) -> None:
    """Pull (paged, census, changelog) and push (all options) send only what the document allows."""
    push = JiraPush(issues=["ACME-1"], labels=True, transitions=True)
    with Sandbox(SandboxConfig(seed=2, jira_issues=300, trello_cards=0)) as sb:
        transport = ContractTransport()

        async def scenario() -> None:
            config = jira_config(sb, cloud=cloud, page_size=50, push=push)
            connector = JiraConnector(config, jira_secrets(sb, cloud=cloud), transport=transport)
            try:
                pages: list[PullResult] = [p async for p in connector.pull(None, census=True)]
                change_issue(sb, "ACME-3")
                cursor = pages[-1].cursor
                _ = [p async for p in connector.pull(cursor, census=True)]
                first = await connector.push(sample_status(), target="ACME-1", known={})
                await connector.push(sample_status(rag="red"), target="ACME-1", known=first.remote)
            finally:
                await connector.aclose()

        run(scenario())
    assert transport.problems == []
    assert len(transport.routes) >= 8
