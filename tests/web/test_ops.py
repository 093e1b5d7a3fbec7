from __future__ import annotations

import logging
from pathlib import Path

import httpx
import pytest

from syncd import metrics
from syncd.db import make_engine
from syncd.settings import Settings
from syncd.web.app import create_app
from tests.web.conftest import Site, dead_job, free_port, serve


def test_healthz_reports_database_and_broker(site: Site) -> None:
    """/healthz answers 200 with both checks ok, and needs no token."""
    with site.client() as http:
        response = http.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "ok"}


def test_healthz_fails_when_broker_is_down(tmp_path: Path) -> None:
    """A failing broker check makes /healthz answer 503 and name the broker."""

    def broker_down() -> bool:
        raise ConnectionError("refused")

    engine = make_engine(f"sqlite:///{tmp_path / 'x.db'}")
    app = create_app(
        engine=engine, settings=Settings(config_dir=tmp_path), broker_check=broker_down
    )
    server, thread = serve(app, port := free_port())
    try:
        response = httpx.get(f"http://127.0.0.1:{port}/healthz")
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        engine.dispose()
    assert response.status_code == 503
    assert response.json()["broker"] == "unreachable: ConnectionError"


def test_metrics_expose_counters_and_queue(site: Site) -> None:
    """/metrics shows the sync counters others increment and the queue read from the store."""
    dead_job(site.engine, "acme")
    metrics.PULLS.labels("acme", "acme-jira", "ok").inc()
    metrics.REMOTE_LATENCY.labels("acme-jira").observe(0.05)
    with site.client(site.admin) as http:
        http.get("/api/clients")
        text = http.get("/metrics").text
    assert 'syncd_pulls_total{client="acme",outcome="ok",source="acme-jira"}' in text
    assert 'syncd_remote_request_seconds_bucket{le="0.05",remote="acme-jira"}' in text
    assert 'syncd_queue_depth{kind="push",state="dead"}' in text
    assert 'syncd_dead_letters_current{client="acme"}' in text
    assert (
        'syncd_http_request_seconds_count{method="GET",route="/api/clients",status="2xx"}' in text
    )


def test_request_id_is_echoed_and_logged(site: Site, caplog: pytest.LogCaptureFixture) -> None:
    """A sane X-Request-ID is echoed back and appears in the access log line, query excluded."""
    with caplog.at_level(logging.INFO, logger="syncd.web"), site.client() as http:
        response = http.get(
            f"/clients/acme?token={site.admin}", headers={"X-Request-ID": "abc-123"}
        )
    assert response.headers["x-request-id"] == "abc-123"
    lines = [r.getMessage() for r in caplog.records if r.name == "syncd.web"]
    assert any("request_id=abc-123" in line and "path=/clients/acme " in line for line in lines)
    assert all(site.admin not in line for line in lines)


def test_insane_request_id_is_replaced(site: Site) -> None:
    """A request id with odd characters is replaced by a fresh one."""
    with site.client() as http:
        response = http.get("/healthz", headers={"X-Request-ID": "a b\x01"})
    assert (
        response.headers["x-request-id"] != "a b\x01"
        and len(response.headers["x-request-id"]) == 16
    )


def test_static_assets_are_served_locally(site: Site) -> None:
    """The chart library comes from syncd itself, with its licence beside it."""
    with site.client() as http:
        lib = http.get("/static/chart.umd.min.js")
        licence = http.get("/static/chart.js.LICENSE.md")
    assert lib.status_code == 200 and "Chart.js v4" in lib.text[:200]
    assert "MIT License" in licence.text
