"""The Jira connector's harnesses: a sandbox Jira of 30 issues, Cloud and Data Center, over HTTP."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

import httpx
from pydantic import SecretStr

from syncd.clock import FakeClock
from syncd.connectors.config import Secrets
from syncd.connectors.jira.config import JiraConfig, JiraPush
from syncd.connectors.jira.connector import JiraConnector
from syncd.connectors.jira.oauth import MemoryKeeper
from syncd.connectors.jira.push import COMMENT_PROPERTY
from syncd.sandbox import Sandbox, SandboxConfig
from syncd.testing import Fault, FaultTransport, Harness, HarnessFactory

JQL = "project in (ACME, BETA)"


def jira_config(sb: Sandbox, *, cloud: bool = True, **changes: Any) -> JiraConfig:
    """A connector config for the sandbox's Cloud or Data Center flavour."""
    values: dict[str, Any] = {
        "kind": "jira",
        "id": "acme-jira",
        "url": sb.jira_cloud_url if cloud else sb.jira_dc_url,
        "deployment": "cloud" if cloud else "datacenter",
        "email": sb.creds.jira_email if cloud else None,
        "token_env": "JIRA_TOKEN",
        "jql": JQL,
        "push": JiraPush(issues=["ACME-1"], labels=True),
    }
    return JiraConfig(**(values | changes))


APP_ID, APP_SECRET = "syncd-conformance-app", "syncd-conformance-app-secret"


def oauth_config(sb: Sandbox, **changes: Any) -> JiraConfig:
    """A Cloud connector that reaches the sandbox as an OAuth 2.0 app, through its gateway."""
    values: dict[str, Any] = {
        "auth": "oauth",
        "email": None,
        "token_env": None,
        "client_id_env": "APP_ID",
        "client_secret_env": "APP_SECRET",
        "refresh_token_env": "APP_REFRESH",
        "api_url": sb.atlassian_api_url,
        "auth_url": sb.atlassian_auth_url,
    }
    return jira_config(sb, cloud=True, **(values | changes))


def oauth_grant(sb: Sandbox) -> str:
    """The sandbox app (registered on first use) and a new grant's first refresh token."""
    if APP_ID not in sb.state.oauth.apps:
        sb.state.oauth.register_app(APP_ID, APP_SECRET)
    return sb.state.oauth.grant(APP_ID)


def oauth_secrets(refresh_token: str, *, wrong: bool = False) -> Secrets:
    """The app's id and secret (or a wrong secret) and the grant's first refresh token."""
    return Secrets(
        client_id=SecretStr(APP_ID),
        client_secret=SecretStr("wrong" if wrong else APP_SECRET),
        refresh_token=SecretStr(refresh_token),
    )


def jira_secrets(sb: Sandbox, *, cloud: bool = True, wrong: bool = False) -> Secrets:
    """The sandbox's API token (Cloud) or PAT (Data Center), or a wrong one."""
    token = sb.creds.jira_token if cloud else sb.creds.jira_pat
    return Secrets(token=SecretStr("wrong" if wrong else token))


def change_issue(sb: Sandbox, key: str, *, minutes: float = 10) -> None:
    """Edit an issue later than anything before (the clock moves on first)."""
    state = sb.state
    with state.lock:
        state.clock.advance(timedelta(minutes=minutes))
        issue = state.issues[key]
        issue.summary += " (changed)"
        issue.updated = state.clock.now()
        state.touch()


class JiraHarness:
    """A `Harness` over one sandbox Jira flavour."""

    nochange_budget = 1
    status_cards = 0

    def __init__(self, sb: Sandbox, *, cloud: bool, oauth: bool = False) -> None:
        self.sb = sb
        self.clock = FakeClock()
        self.cloud = cloud
        self.oauth = oauth
        self.keeper = MemoryKeeper()
        self.refresh_token = oauth_grant(sb) if oauth else ""
        self.name = "jira-oauth" if oauth else "jira-cloud" if cloud else "jira-dc"
        self.faults: list[Fault] = []
        self.corrupt: dict[str, Callable[[dict[str, Any]], None]] = {}
        self.transports: list[FaultTransport] = []

    def connector(self, *, page_size: int = 7, bad_credentials: bool = False) -> JiraConnector:
        transport = FaultTransport(
            httpx.AsyncHTTPTransport(), faults=self.faults, corrupt=self.corrupt
        )
        self.transports.append(transport)
        if self.oauth:
            return JiraConnector(
                oauth_config(self.sb, page_size=page_size),
                oauth_secrets(self.refresh_token, wrong=bad_credentials),
                transport=transport,
                keeper=self.keeper,
                clock=self.clock,
            )
        return JiraConnector(
            jira_config(self.sb, cloud=self.cloud, page_size=page_size),
            jira_secrets(self.sb, cloud=self.cloud, wrong=bad_credentials),
            transport=transport,
            clock=self.clock,
        )

    def issues(self) -> list[Any]:
        with self.sb.state.lock:
            return list(self.sb.state.issues.values())

    def item_ids(self) -> set[str]:
        return {str(issue.id) for issue in self.issues()}

    def seed_change(self, count: int = 1) -> list[str]:
        chosen = sorted(self.issues(), key=lambda i: i.id)[:count]
        for issue in chosen:
            change_issue(self.sb, issue.key)
        return [str(issue.id) for issue in chosen]

    def break_one_item(self) -> str:
        issue = sorted(self.issues(), key=lambda i: i.id)[3]

        def garble(node: dict[str, Any]) -> None:
            if node.get("key") == issue.key and isinstance(node.get("fields"), dict):
                node["fields"]["created"] = "the day before yesterday"

        self.corrupt[str(issue.id)] = garble
        return str(issue.id)

    def target(self) -> str:
        return "ACME-1"

    def count_status_comments(self, target: str) -> int:
        with self.sb.state.lock:
            comments = self.sb.state.issues[target].comments
            return sum(1 for c in comments if COMMENT_PROPERTY in c.properties)

    def count_status_cards(self) -> int:
        return 0

    def inject(self, fault: Fault) -> None:
        self.faults.append(fault)

    def requests(self) -> int:
        return sum(t.requests for t in self.transports)

    def writes(self) -> int:
        return sum(t.writes for t in self.transports)


def small_sandbox() -> Sandbox:
    return Sandbox(SandboxConfig(seed=2, jira_issues=30, trello_cards=0))


@contextmanager
def jira_cloud() -> Iterator[Harness]:
    """Jira Cloud with 30 issues."""
    with small_sandbox() as sb:
        yield JiraHarness(sb, cloud=True)


@contextmanager
def jira_dc() -> Iterator[Harness]:
    """Jira Data Center with 30 issues."""
    with small_sandbox() as sb:
        yield JiraHarness(sb, cloud=False)


@contextmanager
def jira_oauth() -> Iterator[Harness]:
    """Jira Cloud with 30 issues, reached as an OAuth 2.0 app through the API gateway."""
    with small_sandbox() as sb:
        yield JiraHarness(sb, cloud=True, oauth=True)


HARNESSES: dict[str, HarnessFactory] = {
    "jira-cloud": jira_cloud,
    "jira-dc": jira_dc,
    "jira-oauth": jira_oauth,
}
