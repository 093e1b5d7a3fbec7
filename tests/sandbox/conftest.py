"""Shared sandboxes and clients for the sandbox tests."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from syncd.sandbox import Sandbox, SandboxConfig


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    """A small sandbox shared by a test module (tests must not depend on each other's writes)."""
    with Sandbox(SandboxConfig(seed=7, jira_issues=300, trello_cards=120, boards=2)) as sb:
        yield sb


@pytest.fixture
def cloud(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A client for Jira Cloud v3 with the sandbox's API token."""
    auth = (sandbox.creds.jira_email, sandbox.creds.jira_token)
    with httpx.Client(base_url=sandbox.jira_cloud_url + "/rest/api/3", auth=auth) as client:
        yield client


@pytest.fixture
def dc(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A client for Jira Data Center v2 with the sandbox's PAT."""
    headers = {"Authorization": f"Bearer {sandbox.creds.jira_pat}"}
    with httpx.Client(base_url=sandbox.jira_dc_url + "/rest/api/2", headers=headers) as client:
        yield client


@pytest.fixture
def trello(sandbox: Sandbox) -> Iterator[httpx.Client]:
    """A client for Trello with the sandbox's key and token."""
    params = {"key": sandbox.creds.trello_key, "token": sandbox.creds.trello_token}
    with httpx.Client(base_url=sandbox.trello_url, params=params) as client:
        yield client
