"""Paging over 10,000 issues returns each exactly once on both search flavours."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from syncd.sandbox import Sandbox, SandboxConfig

pytestmark = pytest.mark.slow  # 10,000-issue paging


@pytest.fixture(scope="module")
def big() -> Iterator[Sandbox]:
    """10,000 issues over three projects."""
    with Sandbox(
        SandboxConfig(
            seed=21, jira_issues=10_000, trello_cards=10, projects=("ACME", "BETA", "GAMMA")
        )
    ) as sb:
        yield sb


def test_cloud_token_paging_is_exact_even_while_issues_change(big: Sandbox) -> None:
    """Walking nextPageToken at the 5000 id-only cap sees all 10,000 once, despite updates."""
    seen: list[str] = []
    body: dict[str, object] = {
        "jql": "project in (ACME, BETA, GAMMA) ORDER BY updated ASC",
        "maxResults": 5000,
        "fields": ["key"],
    }
    with httpx.Client(auth=(big.creds.jira_email, big.creds.jira_token)) as client:
        while True:
            page = client.post(f"{big.jira_cloud_url}/rest/api/3/search/jql", json=body).json()
            seen += [i["key"] for i in page["issues"]]
            big.advance(hours=4)
            if page["isLast"]:
                break
            body["nextPageToken"] = page["nextPageToken"]
    assert len(seen) == len(set(seen)) == 10_000


def test_cloud_many_fields_are_cut_to_100(big: Sandbox) -> None:
    """Asking for *all fields caps a page at 100 issues."""
    with httpx.Client(auth=(big.creds.jira_email, big.creds.jira_token)) as client:
        page = client.get(
            f"{big.jira_cloud_url}/rest/api/3/search/jql",
            params={"jql": "project = ACME", "maxResults": 1000, "fields": "*all"},
        )
    assert len(page.json()["issues"]) == 100


def test_dc_offset_paging_is_exact(big: Sandbox) -> None:
    """Walking startAt by the effective maxResults read back sees all 10,000 once."""
    seen: list[str] = []
    start = 0
    headers = {"Authorization": f"Bearer {big.creds.jira_pat}"}
    with httpx.Client(headers=headers) as client:
        while True:
            page = client.get(
                f"{big.jira_dc_url}/rest/api/2/search",
                params={
                    "jql": "project in (ACME, BETA, GAMMA) ORDER BY key ASC",
                    "startAt": start,
                    "maxResults": 5000,
                    "fields": "key",
                },
            ).json()
            seen += [i["key"] for i in page["issues"]]
            start += page["maxResults"]
            if start >= page["total"]:
                break
    assert len(seen) == len(set(seen)) == 10_000
