"""The simulated clock and team, and webhook deliveries from both tools."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Iterator

import httpx
import pytest

from syncd.sandbox import Sandbox, SandboxConfig

from .conftest import Receiver


@pytest.fixture
def small() -> Iterator[Sandbox]:
    """A fresh small sandbox per test (these tests change the world)."""
    with Sandbox(SandboxConfig(seed=11, jira_issues=80, trello_cards=40)) as sb:
        yield sb


def test_advance_moves_work_and_records_history(small: Sandbox) -> None:
    """Advancing a working day moves some issues and cards, with changelog and actions."""
    before = {k: (i.status_id, len(i.changelog)) for k, i in small.state.issues.items()}
    start = small.state.clock.now()
    moved = small.advance(hours=24)
    assert moved["issues"] > 0 and moved["cards"] > 0
    changed = [k for k, i in small.state.issues.items() if i.status_id != before[k][0]]
    assert len(changed) == moved["issues"]
    for key in changed:
        issue = small.state.issues[key]
        assert len(issue.changelog) > before[key][1]
        assert start < issue.updated <= small.state.clock.now()


def test_advance_is_deterministic() -> None:
    """Two sandboxes with one seed advance identically."""
    worlds = []
    for _ in range(2):
        sb = Sandbox(SandboxConfig(seed=5, jira_issues=60, trello_cards=20))
        sb.advance(hours=30)
        worlds.append(sorted((k, i.status_id) for k, i in sb.state.issues.items()))
    assert worlds[0] == worlds[1]


def test_jira_webhook_is_signed_and_shaped(small: Sandbox, receiver: Receiver) -> None:
    """An admin webhook with a secret gets jira:issue_updated bodies signed with X-Hub-Signature."""
    small.register_jira_webhook(receiver.url + "/jira", secret="s3cret")
    small.advance(hours=24)
    assert small.flush_webhooks()
    path, headers, body = receiver.received[0]
    assert path == "/jira"
    payload = json.loads(body)
    assert payload["webhookEvent"] == "jira:issue_updated"
    assert payload["changelog"]["items"][0]["field"] == "status"
    expected = "sha256=" + hmac.new(b"s3cret", body, hashlib.sha256).hexdigest()
    assert headers["X-Hub-Signature"] == expected
    assert headers["X-Atlassian-Webhook-Identifier"]


def test_api_writes_fire_jira_webhooks(small: Sandbox, receiver: Receiver) -> None:
    """A comment created through the API is announced as comment_created."""
    small.register_jira_webhook(receiver.url + "/jira")
    auth = (small.creds.jira_email, small.creds.jira_token)
    httpx.post(
        f"{small.jira_dc_url}/rest/api/2/issue/ACME-1/comment",
        json={"body": "x"},
        headers={"Authorization": f"Bearer {small.creds.jira_pat}"},
    )
    httpx.put(
        f"{small.jira_cloud_url}/rest/api/3/issue/ACME-1",
        auth=auth,
        json={"fields": {"labels": ["a"]}},
    )
    assert small.flush_webhooks()
    events = [json.loads(body)["webhookEvent"] for _, _, body in receiver.received]
    assert events == ["comment_created", "jira:issue_updated"]
    assert "X-Hub-Signature" not in receiver.received[0][1]


def test_trello_webhook_heads_then_signs_deliveries(small: Sandbox, receiver: Receiver) -> None:
    """Creating a Trello webhook HEADs the callback; deliveries carry X-Trello-Webhook."""
    params = {"key": small.creds.trello_key, "token": small.creds.trello_token}
    callback = receiver.url + "/trello"
    created = httpx.post(
        f"{small.trello_url}/webhooks",
        params=params | {"callbackURL": callback, "idModel": small.board_ids[0]},
    )
    assert created.status_code == 200
    small.advance(hours=24)
    assert small.flush_webhooks()
    _, headers, body = receiver.received[0]
    digest = hmac.new(small.creds.trello_secret.encode(), body + callback.encode(), hashlib.sha1)
    assert headers["X-Trello-Webhook"] == base64.b64encode(digest.digest()).decode()
    payload = json.loads(body)
    assert payload["action"]["type"] == "updateCard" and "listAfter" in payload["action"]["data"]


def test_trello_webhook_needs_200_on_head(small: Sandbox, receiver: Receiver) -> None:
    """A callback that does not answer HEAD with 200 is refused."""
    params = {"key": small.creds.trello_key, "token": small.creds.trello_token}
    response = httpx.post(
        f"{small.trello_url}/webhooks",
        params=params | {"callbackURL": receiver.url + "/missing", "idModel": small.board_ids[0]},
    )
    assert response.status_code == 400


def test_failed_deliveries_are_retried() -> None:
    """A 503 from the receiver is retried, with X-Atlassian-Webhook-Retry."""
    flaky = Receiver(fail_first=1)
    try:
        with Sandbox(SandboxConfig(seed=2, jira_issues=10, trello_cards=1)) as sb:
            sb.register_jira_webhook(flaky.url + "/jira")
            auth = (sb.creds.jira_email, sb.creds.jira_token)
            httpx.put(
                f"{sb.jira_cloud_url}/rest/api/3/issue/ACME-1",
                auth=auth,
                json={"fields": {"summary": "renamed"}},
            )
            assert sb.flush_webhooks()
            assert [d.status for d in sb.deliveries] == [200]
            assert flaky.received[1][1]["X-Atlassian-Webhook-Retry"] == "1"
    finally:
        flaky.close()
