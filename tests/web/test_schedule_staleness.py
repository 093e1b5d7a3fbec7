"""Staleness follows each client's schedule: its poll interval, or the times of its cron."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy import update
from sqlalchemy.engine import Engine

from syncd import store
from syncd.db import Cursor, make_engine
from syncd.migrate import upgrade
from syncd.model import PullResult
from syncd.schedule import stale_before
from syncd.settings import Settings
from syncd.store.pulls import commit_pull
from syncd.web.app import create_app
from syncd.web.auth import create_token
from tests.web.conftest import free_port, serve

CLIENT = """\
name = "{name}"
timezone = "Europe/Berlin"
{schedule}
[[connectors]]
kind = "jira"
id = "{name}-jira"
url = "https://{name}.atlassian.net"
email = "bot@example.com"
token_env = "UNSET_TOKEN"
jql = "project = X"
"""
SCHEDULES = {"polled": "poll_minutes = 15", "cronned": 'cron = "0 */6 * * *"'}


@pytest.fixture
def dashboard(tmp_path: Path) -> Iterator[tuple[httpx.Client, Engine]]:
    """A live dashboard over a client polled every 15 minutes and one pulled every 6 hours."""
    clients = tmp_path / "config" / "clients"
    clients.mkdir(parents=True)
    for name, schedule in SCHEDULES.items():
        body = CLIENT.format(name=name, schedule=schedule)
        (clients / f"{name}.toml").write_text(body, encoding="utf-8")
    engine = make_engine(f"sqlite:///{tmp_path / 'store.db'}")
    upgrade(engine)
    settings = Settings(config_dir=tmp_path / "config", data_dir=tmp_path)
    server, thread = serve(create_app(engine=engine, settings=settings), port := free_port())
    headers = {"Authorization": f"Bearer {create_token(engine, name='admin')}"}
    try:
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", headers=headers) as http:
            yield http, engine
    finally:
        server.should_exit = True
        thread.join(timeout=5)
        engine.dispose()


def pulled(engine: Engine, client: str, *, hours_ago: float) -> None:
    """A successful pull of the client's connector, `hours_ago` hours back."""
    source = f"{client}-jira"
    commit_pull(engine, client, source, PullResult())
    with store.sessions(engine).begin() as session:
        session.execute(
            update(Cursor)
            .where(Cursor.client == client, Cursor.source == source)
            .values(last_success=datetime.now(UTC) - timedelta(hours=hours_ago))
        )


def stale(http: httpx.Client, client: str) -> bool:
    answer = http.get(f"/api/clients/{client}/health")
    assert answer.status_code == 200, answer.text
    [source] = answer.json()["sources"]
    return bool(source["stale"])


def test_a_cron_client_is_stale_only_after_missing_its_own_pulls(
    dashboard: tuple[httpx.Client, Engine],
) -> None:
    """Two hours without a pull: stale for a 15-minute poll, fresh for a 6-hourly cron; the cron
    client turns stale once three of its scheduled pulls (12 to 18 hours) have gone by."""
    http, engine = dashboard
    for client in SCHEDULES:
        pulled(engine, client, hours_ago=2)
    assert stale(http, "polled")
    assert not stale(http, "cronned")
    pulled(engine, "cronned", hours_ago=19)
    assert stale(http, "cronned")


def test_a_weekday_cron_is_not_stale_over_the_weekend() -> None:
    """Pulled Friday 19:50 on a weekday cron: fresh on Monday 06:00 (no pull was due), stale at
    08:05 after the day's pulls were missed; a 10-minute poll would be stale all weekend."""
    cron, zone = "*/10 7-19 * * 1-5", "Europe/Berlin"
    friday = datetime(2026, 11, 27, 18, 50, tzinfo=UTC)  # 19:50 in Berlin
    monday = datetime(2026, 11, 30, 5, 0, tzinfo=UTC)  # 06:00 in Berlin
    cutoff = stale_before(cron=cron, poll_minutes=10, timezone=zone, now=monday)
    assert friday >= cutoff
    later = stale_before(cron=cron, poll_minutes=10, timezone=zone, now=monday + timedelta(hours=2))
    assert friday < later
    assert friday < stale_before(cron=None, poll_minutes=10, timezone=zone, now=monday)
