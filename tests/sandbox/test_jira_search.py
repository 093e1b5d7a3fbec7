"""Jira search on both flavours: paging, fields, JQL, errors."""

from __future__ import annotations

import httpx

from syncd.sandbox import Sandbox


def test_search_jql_defaults_to_ids_only(cloud: httpx.Client) -> None:
    """`/search/jql` without `fields` returns only issue ids."""
    body = cloud.get("/search/jql", params={"jql": "project = ACME"}).json()
    assert body["issues"] and set(body["issues"][0]) == {"id"}


def test_search_jql_rejects_unbounded_query(cloud: httpx.Client) -> None:
    """An unbounded JQL query is a 400 with Jira's error body."""
    response = cloud.get("/search/jql", params={"jql": "order by key desc"})
    assert response.status_code == 400
    assert "Unbounded" in response.json()["errorMessages"][0]


def test_old_search_endpoint_is_gone(cloud: httpx.Client) -> None:
    """Cloud's `/search` answers 410 with the migration message."""
    response = cloud.get("/search", params={"jql": "project = ACME"})
    assert response.status_code == 410
    assert "/rest/api/3/search/jql" in response.json()["errorMessages"][0]


def test_search_jql_pages_return_each_issue_once(sandbox: Sandbox, cloud: httpx.Client) -> None:
    """Following nextPageToken visits every matching issue exactly once, then isLast."""
    seen: list[str] = []
    token = None
    while True:
        body = {
            "jql": "project in (ACME, BETA) ORDER BY updated ASC, key ASC",
            "maxResults": 37,
            "fields": ["key", "updated"],
        }
        if token:
            body["nextPageToken"] = token
        page = cloud.post("/search/jql", json=body).json()
        seen += [i["key"] for i in page["issues"]]
        if page["isLast"]:
            assert "nextPageToken" not in page
            break
        token = page["nextPageToken"]
    assert sorted(seen) == sorted(sandbox.state.issues)
    assert len(seen) == len(set(seen))


def test_dc_search_reads_back_capped_max_results(dc: httpx.Client) -> None:
    """Data Center caps maxResults at 1000 and reports the effective value with total."""
    body = dc.get("/search", params={"jql": "project = ACME", "maxResults": 5000}).json()
    assert body["maxResults"] == 1000
    assert body["total"] == len(body["issues"]) == 150


def test_cloud_rejects_wrong_token(sandbox: Sandbox) -> None:
    """A wrong API token is a 401 with Jira's error collection."""
    response = httpx.get(
        sandbox.jira_cloud_url + "/rest/api/3/myself", auth=("bot@example.com", "nope")
    )
    assert response.status_code == 401
    assert response.json()["errorMessages"]


def test_a_rendered_issue_is_fresh_after_every_kind_of_write(cloud: httpx.Client) -> None:
    """Rendered issues are reused between reads, never across a change: an edit, a transition,
    a property put and deleted each show in the next bulk fetch."""

    def fetched() -> dict[str, object]:
        body = {"issueIdsOrKeys": ["ACME-7"], "fields": ["summary", "status"]}
        answer = cloud.post("/issue/bulkfetch", json={**body, "properties": ["syncd.probe"]})
        [issue] = answer.json()["issues"]
        return {
            "summary": issue["fields"]["summary"],
            "status": issue["fields"]["status"]["name"],
            "probe": issue.get("properties", {}).get("syncd.probe"),
        }

    first = fetched()
    assert fetched() == first  # from the cache, the same
    cloud.put("/issue/ACME-7", json={"fields": {"summary": "Renamed"}}).raise_for_status()
    assert fetched()["summary"] == "Renamed"
    moves = cloud.get("/issue/ACME-7/transitions").json()["transitions"]
    target = next(t for t in moves if t["to"]["name"] != first["status"])
    cloud.post("/issue/ACME-7/transitions", json={"transition": {"id": target["id"]}})
    assert fetched()["status"] == target["to"]["name"]
    cloud.put("/issue/ACME-7/properties/syncd.probe", json={"n": 1}).raise_for_status()
    assert fetched()["probe"] == {"n": 1}
    cloud.delete("/issue/ACME-7/properties/syncd.probe").raise_for_status()
    assert fetched()["probe"] is None
