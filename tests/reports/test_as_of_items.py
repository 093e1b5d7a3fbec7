"""A report for a past date lists the items as they stood on its snapshot's date."""

from __future__ import annotations

from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from syncd.db import make_engine
from syncd.migrate import upgrade
from syncd.status import load_status
from tests.reports.sample import globex, seed
from tests.reports.test_cli import app


def categories(engine_url: str, as_of: date | None) -> dict[str, str]:
    engine = make_engine(engine_url)
    try:
        status = load_status(engine, globex().info, as_of)
    finally:
        engine.dispose()
    return {i.key: i.category for i in status.items}


def test_items_of_a_past_report_are_those_of_its_day(tmp_path: Path) -> None:
    """Stored items are those of Wed 2026-03-11 (GX-2 and GX-4 done, GX-3 started Mon 9th);
    the report as of Fri 2026-03-06 shows GX-2 and GX-4 in progress and GX-3 not started,
    while the newest report shows today's states."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    engine = make_engine(url)
    upgrade(engine)
    seed(engine, [globex()], now=datetime.now(UTC))
    engine.dispose()
    assert categories(url, date(2026, 3, 6)) == {
        "GX-1": "done",
        "GX-2": "in_progress",
        "GX-3": "todo",
        "GX-4": "in_progress",
        "GX-5": "todo",
    }
    newest = categories(url, None)
    assert (newest["GX-2"], newest["GX-3"], newest["GX-4"]) == ("done", "in_progress", "done")


def test_a_report_for_a_day_without_snapshot_says_which_day_it_shows(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """--as-of a day between snapshots: the earlier snapshot, and stderr says so."""
    url = f"sqlite:///{tmp_path / 'store.db'}"
    monkeypatch.setenv("SYNCD_DATABASE_URL", url)
    monkeypatch.setenv("SYNCD_CONFIG_DIR", str(tmp_path / "config"))
    engine = make_engine(url)
    upgrade(engine)
    seed(engine, [globex()], now=datetime.now(UTC))
    engine.dispose()
    result = CliRunner().invoke(app, ["report", "globex", "-f", "md", "--as-of", "2026-03-09"])
    assert result.exit_code == 0, result.output
    assert "no snapshot on 2026-03-09; this is the status of 2026-03-06" in result.stderr
