"""Jira issue endpoints: reading, editing, comments, properties, transitions, metadata."""

from __future__ import annotations

import httpx

from syncd.sandbox import Sandbox


def adf(text: str) -> dict[str, object]:
    return {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": text}]}],
    }


def test_issue_dates_use_jira_format_in_account_zone(cloud: httpx.Client) -> None:
    """`created`/`updated` look like `2026-11-20T10:15:30.000+0100` (Berlin offset)."""
    fields = cloud.get("/issue/ACME-1").json()["fields"]
    assert fields["created"][-5:] in ("+0100", "+0200")
    assert fields["created"][19] == "." and len(fields["created"]) == 28


def test_story_points_field_differs_between_flavours(cloud: httpx.Client, dc: httpx.Client) -> None:
    """`/field` names Story Points customfield_10016 on Cloud, customfield_10106 on DC."""
    cloud_ids = {f["name"]: f["id"] for f in cloud.get("/field").json()}
    dc_ids = {f["name"]: f["id"] for f in dc.get("/field").json()}
    assert cloud_ids["Story Points"] == "customfield_10016"
    assert dc_ids["Story Points"] == "customfield_10106"


def test_server_info_tells_deployment_type(cloud: httpx.Client, dc: httpx.Client) -> None:
    """serverInfo says Cloud on /cloud and Server on /dc."""
    assert cloud.get("/serverInfo").json()["deploymentType"] == "Cloud"
    assert dc.get("/serverInfo").json()["deploymentType"] == "Server"


def test_myself_carries_time_zone(cloud: httpx.Client) -> None:
    """`/myself` gives the account time zone the JQL dates are read in."""
    assert cloud.get("/myself").json()["timeZone"] == "Europe/Berlin"


def test_comment_with_property_is_created_and_edited_in_place(cloud: httpx.Client) -> None:
    """A v3 comment keeps its properties and can be edited without a new comment."""
    marker = {"key": "syncd", "value": {"run": 1}}
    created = cloud.post(
        "/issue/ACME-2/comment",
        params={"expand": "properties"},
        json={"body": adf("status: green"), "properties": [marker]},
    )
    assert created.status_code == 201
    comment_id = created.json()["id"]
    assert created.json()["properties"] == [marker]
    edited = cloud.put(f"/issue/ACME-2/comment/{comment_id}", json={"body": adf("status: amber")})
    assert edited.status_code == 200
    listed = cloud.get("/issue/ACME-2/comment", params={"expand": "properties"}).json()
    mine = [c for c in listed["comments"] if c["id"] == comment_id]
    assert mine[0]["body"]["content"][0]["content"][0]["text"] == "status: amber"
    assert cloud.get(f"/comment/{comment_id}/properties/syncd").json()["value"] == {"run": 1}


def test_v3_comment_requires_adf_body(cloud: httpx.Client) -> None:
    """A plain-string body on v3 is rejected with 400."""
    response = cloud.post("/issue/ACME-2/comment", json={"body": "plain"})
    assert response.status_code == 400


def test_dc_comment_body_is_a_string(dc: httpx.Client) -> None:
    """On v2 the comment body is a string both ways."""
    created = dc.post("/issue/BETA-2/comment", json={"body": "hello *world*"})
    assert created.status_code == 201
    assert created.json()["body"] == "hello *world*"


def test_issue_property_put_is_201_then_200(cloud: httpx.Client) -> None:
    """PUT of a property answers 201 when created and 200 when updated."""
    first = cloud.put("/issue/ACME-3/properties/syncd.sync", json={"hash": "a"})
    second = cloud.put("/issue/ACME-3/properties/syncd.sync", json={"hash": "b"})
    assert (first.status_code, second.status_code) == (201, 200)
    assert cloud.get("/issue/ACME-3/properties/syncd.sync").json()["value"] == {"hash": "b"}
    keys = [k["key"] for k in cloud.get("/issue/ACME-3/properties").json()["keys"]]
    assert keys == ["syncd.sync"]


def test_properties_come_back_in_search(cloud: httpx.Client) -> None:
    """`properties=` on search returns the named issue properties."""
    cloud.put("/issue/ACME-4/properties/syncd.mark", json={"v": 1})
    body = cloud.get(
        "/search/jql",
        params={"jql": "key = ACME-4", "fields": "summary", "properties": "syncd.mark"},
    ).json()
    assert body["issues"][0]["properties"] == {"syncd.mark": {"v": 1}}


def test_labels_update_add_remove(sandbox: Sandbox, cloud: httpx.Client) -> None:
    """`update.labels` add/remove edits labels and bumps `updated`."""
    before = sandbox.state.issues["ACME-5"].updated
    response = cloud.put(
        "/issue/ACME-5",
        json={"update": {"labels": [{"add": "syncd-late"}, {"remove": "backend"}]}},
    )
    assert response.status_code == 204
    issue = sandbox.state.issues["ACME-5"]
    assert "syncd-late" in issue.labels and "backend" not in issue.labels
    assert issue.updated > before


def test_transition_moves_status_and_records_changelog(cloud: httpx.Client) -> None:
    """POST transitions moves the issue; the changelog shows the status change."""
    listed = cloud.get("/issue/ACME-6/transitions").json()["transitions"]
    done = next(t for t in listed if t["to"]["statusCategory"]["key"] == "done")
    assert (
        cloud.post("/issue/ACME-6/transitions", json={"transition": {"id": done["id"]}}).status_code
        == 204
    )
    assert cloud.get("/issue/ACME-6").json()["fields"]["status"]["name"] == "Done"
    changes = cloud.get("/issue/ACME-6/changelog").json()["values"]
    assert changes[-1]["items"][0]["toString"] == "Done"


def test_bulkfetch_reports_missing_issues(cloud: httpx.Client) -> None:
    """bulkfetch returns found issues and lists unknown keys in issueErrors."""
    body = cloud.post(
        "/issue/bulkfetch", json={"issueIdsOrKeys": ["ACME-1", "NOPE-1"], "fields": ["summary"]}
    ).json()
    assert [i["key"] for i in body["issues"]] == ["ACME-1"]
    assert body["issueErrors"][0]["id"] == "NOPE-1"


def test_bulkfetch_refuses_more_than_100(cloud: httpx.Client) -> None:
    """More than 100 issueIdsOrKeys is a 400."""
    keys = [f"ACME-{n}" for n in range(1, 102)]
    assert cloud.post("/issue/bulkfetch", json={"issueIdsOrKeys": keys}).status_code == 400


def test_epic_children_have_parent_and_subtasks_listed(
    sandbox: Sandbox, cloud: httpx.Client
) -> None:
    """Cloud shows `parent` on an epic's child; a story lists its sub-tasks."""
    issues = sandbox.state.issues.values()
    child = next(i for i in issues if i.parent and i.issuetype == "Story")
    fields = cloud.get(f"/issue/{child.key}", params={"fields": "parent"}).json()["fields"]
    assert fields["parent"]["key"] == child.parent
    sub = next(i for i in issues if i.issuetype == "Sub-task")
    assert sub.parent is not None
    parent = cloud.get(f"/issue/{sub.parent}", params={"fields": "subtasks"}).json()
    assert sub.key in [s["key"] for s in parent["fields"]["subtasks"]]


def test_approximate_count_matches_search(cloud: httpx.Client) -> None:
    """approximate-count counts what the query matches."""
    count = cloud.post("/search/approximate-count", json={"jql": "project = BETA"}).json()
    assert count == {"count": 150}


def test_changelog_bulkfetch_filters_by_field(cloud: httpx.Client) -> None:
    """changelog/bulkfetch returns only histories touching the asked fields."""
    body = cloud.post(
        "/changelog/bulkfetch",
        json={"issueIdsOrKeys": ["ACME-1", "ACME-2"], "fieldIds": ["status"]},
    ).json()
    for log in body["issueChangeLogs"]:
        for history in log["changeHistories"]:
            assert any(item["fieldId"] == "status" for item in history["items"])
