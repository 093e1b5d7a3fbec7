"""The sandbox's worklogs: dated, embedded in search answers up to 20, paged on their own
endpoint, logged and deleted with time spent following, all within the official documents."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from syncd.sandbox import Sandbox, SandboxConfig
from syncd.sandbox.data import log_work
from tests.contracts import contract_checking_client


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "dc"])
def test_worklogs_are_embedded_paged_logged_and_deleted_within_the_contract(cloud: bool) -> None:
    """25 worklogs: search embeds 20 with total 25; the endpoint pages them oldest first; a
    logged worklog adds its time to time spent and a deleted one takes it away again."""
    with Sandbox(SandboxConfig(seed=8, jira_issues=20, trello_cards=0)) as sb:
        issue = sb.state.issues["ACME-2"]
        with sb.state.lock:
            issue.worklogs.clear()
            issue.time_spent_s = None
            for n in range(25):
                began = datetime(2026, 11, 1, tzinfo=UTC) + timedelta(hours=n)
                log_work(sb.state, issue, 600, began, author=issue.reporter, when=began)
        if cloud:
            auth, base = (sb.creds.jira_email, sb.creds.jira_token), sb.jira_cloud_url
            headers = {}
        else:
            auth, base = None, sb.jira_dc_url
            headers = {"Authorization": f"Bearer {sb.creds.jira_pat}"}
        api = f"{base}/rest/api/{3 if cloud else 2}"
        with contract_checking_client(auth=auth, headers=headers, base_url=api) as c:
            if cloud:
                found = c.post(
                    "/search/jql", json={"jql": "key = ACME-2", "fields": ["worklog"]}
                ).json()
            else:
                found = c.get("/search", params={"jql": "key = ACME-2", "fields": "worklog"}).json()
            embedded = found["issues"][0]["fields"]["worklog"]
            first = c.get("/issue/ACME-2/worklog", params={"startAt": 0, "maxResults": 10}).json()
            rest = c.get("/issue/ACME-2/worklog", params={"startAt": 20}).json()
            made = c.post(
                "/issue/ACME-2/worklog",
                json={"started": "2026-11-19T10:00:00.000+0100", "timeSpentSeconds": 3600},
            )
            spent_after_log = issue.time_spent_s
            removed = c.delete(f"/issue/ACME-2/worklog/{made.json()['id']}")
            again = c.delete(f"/issue/ACME-2/worklog/{made.json()['id']}")
    assert (embedded["total"], len(embedded["worklogs"])) == (25, 20)
    assert (first["total"], len(first["worklogs"]), len(rest["worklogs"])) == (25, 10, 5)
    starts = [w["started"] for w in first["worklogs"]]
    assert starts == sorted(starts) and first["worklogs"][0]["timeSpentSeconds"] == 600
    assert made.status_code == 201 and made.json()["started"].startswith("2026-11-19T")
    assert spent_after_log == 25 * 600 + 3600
    assert (removed.status_code, again.status_code) == (204, 404)
    assert issue.time_spent_s == 25 * 600
