"""What `syncd check --online` asks the sandbox: Jira's `mypermissions` and Trello's
`tokens/{token}`, answered as the real services do and within their official documents."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest

from syncd.sandbox import Sandbox, SandboxConfig
from tests.contracts import contract_errors


@pytest.fixture
def sb() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seed=3, jira_issues=20, trello_cards=5)) as sandbox:
        yield sandbox


def checked(response: httpx.Response) -> httpx.Response:
    assert contract_errors(response.request, response) == []
    return response


def test_mypermissions_answers_for_an_issue_and_honours_denials(sb: Sandbox) -> None:
    """Cloud: each permission asked with havePermission; a denied one is false."""
    sb.state.jira_denied.add("EDIT_ISSUES")
    auth = (sb.creds.jira_email, sb.creds.jira_token)
    with httpx.Client(base_url=sb.jira_cloud_url + "/rest/api/3", auth=auth) as client:
        params = {"issueKey": "ACME-1", "permissions": "ADD_COMMENTS,EDIT_ISSUES"}
        held = checked(client.get("/mypermissions", params=params)).json()["permissions"]
        assert {k: v["havePermission"] for k, v in held.items()} == {
            "ADD_COMMENTS": True,
            "EDIT_ISSUES": False,
        }
        missing = client.get("/mypermissions", params=params | {"issueKey": "ACME-99999"})
        assert checked(missing).status_code == 404
        assert checked(client.get("/mypermissions")).status_code == 400  # Cloud requires it


def test_mypermissions_on_data_center_lists_every_one_without_a_filter(sb: Sandbox) -> None:
    """Data Center answers every permission when none is named."""
    headers = {"Authorization": f"Bearer {sb.creds.jira_pat}"}
    with httpx.Client(base_url=sb.jira_dc_url + "/rest/api/2", headers=headers) as client:
        held = checked(client.get("/mypermissions")).json()["permissions"]
    assert held["ADMINISTER"]["havePermission"] is True


def test_admin_webhooks_need_administer(sb: Sandbox) -> None:
    """Without ADMINISTER, listing admin webhooks is a 403, as Jira answers."""
    sb.state.jira_denied.add("ADMINISTER")
    auth = (sb.creds.jira_email, sb.creds.jira_token)
    with httpx.Client(base_url=sb.jira_cloud_url, auth=auth) as client:
        assert client.get("/rest/webhooks/1.0/webhook").status_code == 403


def test_a_token_shows_its_permissions_and_a_read_only_one_cannot_write(sb: Sandbox) -> None:
    """`GET /tokens/{token}` gives read/write per model; a read-only token's writes are 401."""
    params = {"key": sb.creds.trello_key, "token": sb.creds.trello_token}
    with httpx.Client(base_url=sb.trello_url, params=params) as client:
        token = sb.creds.trello_token
        answer = checked(client.get(f"/tokens/{token}", params={"fields": "permissions"}))
        assert {p["write"] for p in answer.json()["permissions"]} == {True}
        assert client.get("/tokens/someone-elses-token").status_code == 401
        sb.state.trello_token_writes = False
        answer = checked(client.get(f"/tokens/{token}", params={"fields": "permissions"}))
        assert {p["write"] for p in answer.json()["permissions"]} == {False}
        board = sb.board_ids[0]
        refused = client.post("/lists", params={"name": "X", "idBoard": board})
        assert (refused.status_code, refused.text) == (401, "unauthorized permission requested")
