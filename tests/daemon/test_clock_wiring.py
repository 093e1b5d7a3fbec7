"""The process's clock reaches what reads the date: a client's today, the runtime's default."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

from syncd import pipeline, runtime
from syncd.clients import load_client
from syncd.clock import SYSTEM, FakeClock
from syncd.settings import load_settings

CLIENT = """name = "A"
timezone = "{zone}"
[[connectors]]
kind = "jira"
id = "j"
url = "https://x.atlassian.net"
email = "a@b.c"
token_env = "T"
jql = "project = X"
"""


def test_a_clients_today_is_the_clocks_date_in_its_time_zone(tmp_path: Path) -> None:
    """At 12:00 UTC on 5 January (on the clock), it is the 5th in Berlin and the 6th in
    Auckland (UTC+13)."""
    clock = FakeClock(datetime(2026, 1, 5, 12, 0, tzinfo=UTC))
    for stem, zone in (("berlin", "Europe/Berlin"), ("auckland", "Pacific/Auckland")):
        (tmp_path / f"{stem}.toml").write_text(CLIENT.format(zone=zone), encoding="utf-8")
    berlin = load_client(tmp_path, "berlin", env={"T": "x"})
    auckland = load_client(tmp_path, "auckland", env={"T": "x"})
    assert pipeline.today(berlin, clock=clock) == date(2026, 1, 5)
    assert pipeline.today(auckland, clock=clock) == date(2026, 1, 6)


def test_a_loaded_runtime_runs_on_the_system_clock(tmp_path: Path) -> None:
    """A runtime loaded from settings reads the system clock (fakes are for tests alone)."""
    (tmp_path / "config" / "clients").mkdir(parents=True)
    settings = load_settings(config_dir=tmp_path / "config", data_dir=tmp_path / "data")
    rt = runtime.load(settings)
    try:
        assert rt.clock is SYSTEM
    finally:
        rt.engine.dispose()
