"""The sandbox's answers, and the requests the tests make, match the official OpenAPI documents."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from syncd.sandbox import Sandbox, SandboxConfig
from tests.contracts import ContractError, contract_checking_client, contract_errors, validate

ADF = {
    "type": "doc",
    "version": 1,
    "content": [{"type": "paragraph", "content": [{"type": "text", "text": "status"}]}],
}


@pytest.fixture(scope="module")
def sb() -> Iterator[Sandbox]:
    """A sandbox of its own, so writes here do not disturb other modules."""
    with Sandbox(SandboxConfig(seed=13, jira_issues=120, trello_cards=60)) as sandbox:
        yield sandbox


def test_jira_cloud_reads_match_contract(sb: Sandbox) -> None:
    """Cloud search, issue, field, myself, serverInfo, transitions and changelogs validate."""
    auth = (sb.creds.jira_email, sb.creds.jira_token)
    with contract_checking_client(auth=auth, base_url=sb.jira_cloud_url + "/rest/api/3") as c:
        c.get(
            "/search/jql",
            params={
                "jql": "project = ACME",
                "fields": "*all",
                "expand": "changelog,names,renderedFields",
            },
        )
        c.post(
            "/search/jql",
            json={
                "jql": "project = BETA ORDER BY updated ASC, key ASC",
                "fields": ["summary", "status", "customfield_10016"],
                "properties": ["syncd"],
                "maxResults": 10,
            },
        )
        c.get("/issue/ACME-2", params={"expand": "changelog,names,schema"})
        c.post(
            "/issue/bulkfetch", json={"issueIdsOrKeys": ["ACME-1", "X-1"], "fields": ["summary"]}
        )
        c.post("/search/approximate-count", json={"jql": "project = ACME"})
        c.post("/changelog/bulkfetch", json={"issueIdsOrKeys": ["ACME-1", "ACME-3"]})
        for path in (
            "/field",
            "/myself",
            "/serverInfo",
            "/project",
            "/issue/ACME-1/transitions",
            "/issue/ACME-1/changelog",
            "/issue/ACME-1/comment",
        ):
            c.get(path)
        assert c.contract_problems == []


def test_jira_cloud_writes_match_contract(sb: Sandbox) -> None:
    """Comments with properties, issue properties, edits and transitions validate."""
    auth = (sb.creds.jira_email, sb.creds.jira_token)
    with contract_checking_client(auth=auth, base_url=sb.jira_cloud_url + "/rest/api/3") as c:
        created = c.post(
            "/issue/ACME-4/comment",
            params={"expand": "properties"},
            json={"body": ADF, "properties": [{"key": "syncd", "value": {"v": 1}}]},
        )
        comment = created.json()["id"]
        c.put(f"/issue/ACME-4/comment/{comment}", json={"body": ADF})
        c.get(f"/comment/{comment}/properties")
        c.get(f"/comment/{comment}/properties/syncd")
        c.put("/issue/ACME-4/properties/syncd.sync", json={"hash": "x"})
        c.get("/issue/ACME-4/properties")
        c.get("/issue/ACME-4/properties/syncd.sync")
        c.put("/issue/ACME-4", json={"update": {"labels": [{"add": "late"}]}})
        c.post("/issue/ACME-4/transitions", json={"transition": {"id": "21"}})
        c.get("/search/jql", params={"jql": "order by key"})
        assert c.contract_problems == []


def test_jira_dc_matches_contract_mapped_onto_v3(sb: Sandbox) -> None:
    """DC v2 search (offset paging) and issue reads validate against the v3 shapes."""
    headers = {"Authorization": f"Bearer {sb.creds.jira_pat}"}
    with contract_checking_client(headers=headers, base_url=sb.jira_dc_url + "/rest/api/2") as c:
        c.get("/search", params={"jql": "project = ACME", "maxResults": 5, "fields": "*navigable"})
        c.get("/issue/ACME-1")
        c.post("/issue/ACME-1/comment", json={"body": "plain text"})
        c.get("/issue/ACME-1/comment")
        assert c.contract_problems == []


def test_trello_matches_contract(sb: Sandbox) -> None:
    """Board reads with nested resources, cards, actions, comments, labels, fields validate."""
    params = {"key": sb.creds.trello_key, "token": sb.creds.trello_token}
    board = sb.state.boards[sb.board_ids[0]]
    card = board.cards[0]
    with contract_checking_client(params=params, base_url=sb.trello_url) as t:
        t.get(
            f"/boards/{board.id}",
            params={
                "lists": "all",
                "cards": "all",
                "checklists": "all",
                "customFields": "true",
                "labels": "all",
                "members": "all",
                "actions": "all",
                "card_customFieldItems": "true",
            },
        )
        t.get(f"/boards/{board.id}/cards", params={"customFieldItems": "true", "filter": "all"})
        for part in ("lists", "labels", "members", "customFields", "checklists", "actions"):
            t.get(f"/boards/{board.id}/{part}")
        t.get(f"/cards/{card}", params={"customFieldItems": "true", "checklists": "all"})
        t.get(f"/cards/{card}/customFieldItems")
        action = t.post(f"/cards/{card}/actions/comments", params={"text": "hi"}).json()["id"]
        t.put(f"/actions/{action}", params={"text": "ho"})
        t.delete(f"/actions/{action}")
        t.post(f"/cards/{card}/idLabels", params={"value": board.labels[0]})
        t.delete(f"/cards/{card}/idLabels/{board.labels[0]}")
        t.put(
            f"/cards/{card}/customField/{board.custom_fields[0]}/item",
            json={"value": {"number": "3"}},
        )
        t.post("/cards", params={"idList": board.lists[0], "name": "new"})
        t.put(f"/cards/{card}", params={"idList": board.lists[1]})
        assert t.contract_problems == []


def test_checker_catches_a_wrong_shape(sb: Sandbox) -> None:
    """A response that breaks the document is reported (the checker is not a no-op)."""
    request = httpx.Request("GET", f"{sb.jira_cloud_url}/rest/api/3/search/jql?jql=project%3DACME")
    response = httpx.Response(200, json={"issues": "not a list", "isLast": "yes"}, request=request)
    assert contract_errors(request, response)
    with pytest.raises(ContractError):
        validate(request, response)


def test_checker_catches_an_unknown_path(sb: Sandbox) -> None:
    """A path the document does not have is reported."""
    request = httpx.Request("GET", f"{sb.trello_url}/no-such-thing/1")
    response = httpx.Response(200, json={}, request=request)
    assert contract_errors(request, response)
