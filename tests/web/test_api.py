from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta

import jsonschema  # type: ignore[import-untyped]  # no stubs in the venv

from syncd.reports.schema import report_schema
from tests.reports.sample import XSS
from tests.web.conftest import Site, dead_job, job_state


def test_clients_list_summaries(site: Site) -> None:
    """/api/clients lists every client with RAG, SPI, trend and next milestone."""
    with site.client(site.admin) as http:
        clients = {c["id"]: c for c in http.get("/api/clients").json()["clients"]}
    assert set(clients) == {"acme", "globex"}
    acme = clients["acme"]
    assert acme["rag"] == "red" and acme["as_of"] == "2026-11-30"
    assert acme["next_milestone"]["name"] == "Go-live"
    assert len(acme["spi_history"]) == 5 and acme["trend"] in ("up", "down", "flat")


def test_status_is_the_json_report(site: Site) -> None:
    """The status endpoint returns the JSON report, valid against its schema."""
    with site.client(site.admin) as http:
        body = http.get("/api/clients/acme/status").json()
    jsonschema.Draft202012Validator(report_schema()).validate(body)
    assert body["as_of"] == "2026-11-30" and len(body["curve"]) == 5


def test_status_on_an_earlier_date(site: Site) -> None:
    """as_of picks the snapshot of that date or the one before it; before any, 404."""
    with site.client(site.admin) as http:
        assert http.get("/api/clients/acme/status?as_of=2026-11-10").json()["as_of"] == "2026-11-09"
        assert http.get("/api/clients/acme/status?as_of=2020-01-01").status_code == 404
        assert http.get("/api/clients/acme/status?as_of=soon").status_code == 400


def test_snapshots_give_the_s_curve(site: Site) -> None:
    """One PV/EV point per stored snapshot, oldest first."""
    with site.client(site.admin) as http:
        points = http.get("/api/clients/globex/snapshots").json()["points"]
    assert [p["as_of"] for p in points] == ["2026-03-04", "2026-03-06", "2026-03-11"]


def test_items_page_and_filter(site: Site) -> None:
    """Items page by offset and limit and filter by source, with links back to the tracker."""
    with site.client(site.admin) as http:
        page = http.get("/api/clients/acme/items?limit=5&offset=0").json()
        trello = http.get("/api/clients/acme/items?source=acme-board").json()
    assert page["total"] == 14 and len(page["items"]) == 5
    assert [i["key"] for i in trello["items"]] == ["tr1", "tr2", "tr3"]
    assert trello["items"][0]["url"] == "https://trello.com/c/tr1"


def test_tracker_markup_is_plain_json(site: Site) -> None:
    """A title holding <script> comes back as the same string, served as application/json."""
    with site.client(site.admin) as http:
        response = http.get("/api/clients/acme/items?limit=1000")
    assert response.headers["content-type"] == "application/json"
    titles = [i["title"] for i in response.json()["items"]]
    assert f"Hotfix {XSS}" in titles
    assert json.loads(response.text) == response.json()


def test_health_shows_pulls_and_dead_letters(site: Site) -> None:
    """Health lists last pulls per connector and open problems with dead-letter job ids."""
    with site.client(site.admin) as http:
        body = http.get("/api/clients/acme/health").json()
    assert {s["source"] for s in body["sources"]} == {"acme-jira", "acme-board"}
    assert any(p["kind"] == "dead" and p["job_id"] for p in body["problems"])


def test_replay_through_the_api(site: Site) -> None:
    """POST replay answers replayed true once, then false; the job is pending."""
    job = dead_job(site.engine, "acme")
    with site.client(site.admin) as http:
        first = http.post(f"/api/clients/acme/dead-letters/{job}/replay").json()
        second = http.post(f"/api/clients/acme/dead-letters/{job}/replay").json()
    assert first == {"job_id": job, "replayed": True, "queued": job, "set_aside": []}
    assert second == {"job_id": job, "replayed": False, "queued": None, "set_aside": []}
    assert job_state(site.engine, job) == "pending"


def test_health_lists_a_targets_failed_pushes_as_one_failure(site: Site) -> None:
    """Health keeps one problem per dead letter (the fields other code reads) and lists them
    again as failures: the two dead pushes to one issue are one, with its count, first and
    latest time, latest error and the newest job; replaying the older one through the API
    queues that newest one and sets the older aside."""
    start = datetime.now(UTC) - timedelta(hours=2)
    target = "acme-jira:ACME-404"
    older = dead_job(
        site.engine, "acme", "NotFoundError: gone", kind="push", target=target, at=start
    )
    later = start + timedelta(hours=1)
    newest = dead_job(
        site.engine, "acme", "NotFoundError: still gone", kind="push", target=target, at=later
    )
    with site.client(site.admin) as http:
        body = http.get("/api/clients/acme/health").json()
        dead = {p["job_id"] for p in body["problems"] if p["kind"] == "dead"}
        assert {older, newest} <= dead
        [failure] = [f for f in body["failures"] if f["target"] == target]
        assert failure["failed"] == 2 and failure["job_id"] == newest and failure["kind"] == "push"
        assert failure["message"] == "NotFoundError: still gone"
        assert datetime.fromisoformat(failure["first_at"]) < datetime.fromisoformat(
            failure["last_at"]
        )
        replayed = http.post(f"/api/clients/acme/dead-letters/{older}/replay").json()
        after = http.get("/api/clients/acme/health").json()
    assert replayed == {"job_id": older, "replayed": True, "queued": newest, "set_aside": [older]}
    assert (job_state(site.engine, newest), job_state(site.engine, older)) == (
        "pending",
        "superseded",
    )
    assert not [f for f in after["failures"] if f["target"] == target]


def test_unknown_query_parameter_is_refused(site: Site) -> None:
    """A misspelt parameter answers 400 instead of being silently ignored."""
    with site.client(site.admin) as http:
        response = http.get("/api/clients/acme/status?asof=2026-11-01")
    assert response.status_code == 400 and "asof" in response.json()["error"]


def test_openapi_document_covers_the_api(site: Site) -> None:
    """The OpenAPI document lists every API route and is public."""
    with site.client() as http:
        doc = http.get("/api/openapi.json").json()
    assert doc["openapi"].startswith("3.1")
    assert set(doc["paths"]) == {
        "/api/clients",
        "/api/clients/{client}",
        "/api/clients/{client}/status",
        "/api/clients/{client}/snapshots",
        "/api/clients/{client}/items",
        "/api/clients/{client}/health",
        "/api/clients/{client}/dead-letters/{job_id}/replay",
    }
