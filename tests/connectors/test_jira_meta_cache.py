"""The daemon builds a Jira connector per job; an unchanged site still costs one request."""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
from pydantic import SecretStr

from syncd.clock import FakeClock
from syncd.connectors.config import Secrets
from syncd.connectors.jira.config import JiraConfig
from syncd.connectors.jira.connector import META_TTL, JiraConnector
from syncd.errors import AuthError
from syncd.model import PullResult
from syncd.sandbox import Sandbox, SandboxConfig


def pull(connector: JiraConnector, since: datetime | None) -> list[PullResult]:
    async def go() -> list[PullResult]:
        try:
            return [page async for page in connector.pull(since)]
        finally:
            await connector.aclose()

    return asyncio.run(go())


def test_a_new_connector_for_the_same_site_pulls_an_unchanged_site_in_one_request() -> None:
    """Field catalogue and time zone are kept per site and credential for an hour."""
    with Sandbox(SandboxConfig(seed=4, jira_issues=120, trello_cards=0)) as sb:
        config = JiraConfig(kind="jira", id="j", url=sb.jira_cloud_url, email=sb.creds.jira_email,
                            token_env="T", jql="project = ACME")  # fmt: skip
        secrets = Secrets(token=SecretStr(sb.creds.jira_token))
        first = JiraConnector(config, secrets)
        pages = pull(first, None)
        cursor = max(p.cursor for p in pages if p.cursor is not None)
        assert first.remote.counters.requests > 2  # /myself, /field and the pages
        second = JiraConnector(config, secrets)
        pull(second, cursor)
        assert second.remote.counters.requests == 1
        other = JiraConnector(config, Secrets(token=SecretStr("another-token")))
        with pytest.raises(AuthError):
            pull(other, cursor)  # its own /myself, refused: nothing is shared across tokens
        assert other.remote.counters.requests == 1


def test_the_field_catalogue_is_read_again_after_an_hour_on_the_connectors_clock() -> None:
    """An hour after it was read (on the connectors' clock, a fake one), a new connector for
    the same site reads the field catalogue again; a minute before, it does not."""
    clock = FakeClock()
    with Sandbox(SandboxConfig(seed=5, jira_issues=10, trello_cards=0)) as sb:
        config = JiraConfig(kind="jira", id="j", url=sb.jira_cloud_url, email=sb.creds.jira_email,
                            token_env="T", jql="project = ACME")  # fmt: skip
        secrets = Secrets(token=SecretStr(sb.creds.jira_token))
        pages = pull(JiraConnector(config, secrets, clock=clock), None)
        cursor = max(p.cursor for p in pages if p.cursor is not None)
        clock.advance(META_TTL - 60)
        kept = JiraConnector(config, secrets, clock=clock)
        pull(kept, cursor)
        clock.advance(60)
        lapsed = JiraConnector(config, secrets, clock=clock)
        pull(lapsed, cursor)
    assert kept.remote.counters.requests == 1
    assert lapsed.remote.counters.requests > 1  # /myself and /field again, then the search
