"""Stored snapshots read back through the plan's types, in every schema syncd ever stored:
the snapshots older versions wrote (`tests/fixtures/snapshots/`) still read and report what
those versions reported; new ones carry their schema version."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.engine import Engine

from syncd import store
from syncd.model import Health
from syncd.pipeline import reconcile_client, store_and_queue
from syncd.plan.rag import Rag
from syncd.plan.snapshot import SCHEMA, SnapshotSchemaError, StatusSnapshot
from syncd.reports import build_status, render_markdown
from syncd.reports.model import ClientInfo, Status
from syncd.reports.snapshot import curve_point
from syncd.status import curve_points, load_status, snapshots
from tests.plan.conftest import worked_items
from tests.reports.test_data_warnings import DAY_8, client_of, pull

STORED = Path(__file__).resolve().parents[1] / "fixtures" / "snapshots"
NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
REASONS = (
    "SPI 0.32 < 0.85",
    "SPI(t) 0.47 < 0.85",
    "Project finish (CPM) forecast +17.5 working days",
    "Milestone Go-live forecast +17.5 working days, driven by 1.2 Design → 2.2 Build UI",
    "Milestone Go-live forecast 12.5 working days past its deadline 2027-01-29",
)


def stored(name: str) -> dict[str, Any]:
    data: dict[str, Any] = json.loads((STORED / name).read_text(encoding="utf-8"))
    return data


def status_of(data: dict[str, Any]) -> Status:
    snapshot = StatusSnapshot.from_dict(data)
    return build_status(ClientInfo(id="acme", name="Acme"), snapshot, None, [], Health(NOW))


def test_the_first_stored_snapshots_still_report_what_they_reported() -> None:
    """A snapshot of the first syncd that stored any (no schema, warnings as bare strings, no
    floats or drivers): the figures, colour, warnings, tasks and forecasts it was shown with."""
    status = status_of(stored("syncd-8c7db01.json"))
    assert (status.as_of, status.baseline_version) == (date(2026, 11, 18), 1)
    assert status.baseline_label == "Contract baseline v1"
    assert status.rag.level is Rag.RED
    assert status.rag.reasons == (REASONS[0], "CPI 0.56 < 0.85", *REASONS[1:])
    assert status.headline == "Red: SPI 0.32 (items on a summary task), Go-live +17.5 working days"
    f = status.figures
    assert (f.bac, f.ev, f.ac) == (1440.0, 220.0, 390.0)
    assert f.spi == pytest.approx(0.3194, abs=1e-4) and f.cpi == pytest.approx(0.5641, abs=1e-4)
    assert [(w.code, w.note) for w in status.warnings] == [
        ("summary_link", "items on a summary task")
    ]
    assert [(t.key, t.slip_days, t.driver) for t in status.tasks] == [
        ("1.1", 2.0, None),
        ("1.2", 17.5, None),
        ("1.3", 20.0, None),
        ("2.1", 10.0, None),
        ("2.2", 17.5, None),
        ("3", 17.5, None),
    ]
    assert status.forecast.cpm_finish == date(2027, 2, 17)
    assert status.forecast.es_slip_days == pytest.approx(164.8302 - 78, abs=1e-4)  # IEAC(t) − PD
    assert [(m.key, m.slip_days, m.driving_path) for m in status.milestones] == [
        ("3", 17.5, ("1.2", "2.2"))
    ]
    assert (status.critical_path, status.baseline_critical_path) == (("1.2", "2.2", "3"), ())
    assert [(p.planned_items, p.unplanned_items) for p in status.curve] == [(8, 1)]


def test_the_last_unversioned_snapshots_still_report_what_they_reported() -> None:
    """A snapshot of the last syncd before snapshots carried a schema: drivers, both critical
    paths, the stored earned-schedule slip and typed warnings come back as they were stored."""
    status = status_of(stored("syncd-775719a.json"))
    assert status.rag.level is Rag.RED and status.rag.reasons == REASONS
    assert status.figures.cpi is None and status.withheld("cpi") == "items cover 38% of the budget"
    assert [w.code for w in status.warnings] == ["summary_link", "ac_scope"]
    drivers = {t.key: t.driver.text for t in status.tasks if t.driver is not None}
    assert drivers["2.2"] == "1.2 Design (FS+5d)" and drivers["3"] == "2.2 Build UI (FS+7d)"
    assert status.baseline_critical_path == ("1.1", "1.2", "2.2", "3")
    assert status.forecast.es_slip_days == pytest.approx(86.8302, abs=1e-4)


@pytest.mark.parametrize("name", ["syncd-8c7db01.json", "syncd-775719a.json"])
def test_an_older_snapshot_reads_as_it_is_stored_again(name: str) -> None:
    """Read and written again, an older snapshot gains its schema and nothing else changes in
    what it reports."""
    old = StatusSnapshot.from_dict(stored(name))
    again = StatusSnapshot.from_dict(old.to_dict())
    assert again == old and old.to_dict()["schema"] == SCHEMA
    assert render_markdown(status_of(again.to_dict())) == render_markdown(status_of(stored(name)))


def test_a_snapshot_of_a_newer_schema_is_refused_in_words() -> None:
    """A snapshot a newer syncd stored is not read as if it were this one's shape."""
    data = {**stored("syncd-775719a.json"), "schema": SCHEMA + 1}
    with pytest.raises(SnapshotSchemaError, match="newer than this syncd"):
        StatusSnapshot.from_dict(data)


def test_the_pipeline_stores_the_schema_and_reads_old_and_new_alike(
    tmp_path: Path, sqlite_engine: Engine
) -> None:
    """A reconcile stores its snapshot with the schema version; an older unversioned one of the
    day before sits beside it in the store, and the report reads both (the older one as the
    previous report)."""
    client = client_of(tmp_path)
    pull(sqlite_engine, worked_items())
    rec, snapshot, items = reconcile_client(sqlite_engine, client, as_of=DAY_8)
    older = snapshot.to_dict()
    del older["schema"]
    older["reconciliation"]["as_of"] = "2026-03-10"
    with store.sessions(sqlite_engine).begin() as session:
        store.save_snapshot(session, "acme", date(2026, 3, 10), baseline_version=1, data=older)
    store_and_queue(sqlite_engine, client, rec, snapshot, items)
    rows = store.load_snapshots(sqlite_engine, "acme")
    assert [row.data.get("schema") for row in rows] == [None, SCHEMA]
    status = load_status(sqlite_engine, "acme")
    assert status.as_of == DAY_8 and status.change.previous_as_of == date(2026, 3, 10)
    assert [p.as_of for p in status.curve] == [date(2026, 3, 10), DAY_8]


def store_days(engine: Engine, names: list[str]) -> list[date]:
    """Each fixture snapshot stored as the status of a day of its own, in order."""
    days = [date(2026, 11, 18) + timedelta(days=n) for n in range(len(names))]
    with store.sessions(engine).begin() as session:
        for day, name in zip(days, names, strict=True):
            data = stored(name)
            data["reconciliation"]["as_of"] = day.isoformat()
            store.save_snapshot(session, "acme", day, baseline_version=1, data=data)
    return days


def test_the_s_curve_reads_each_earlier_snapshot_in_part_and_gets_the_same_points(
    engine: Engine,
) -> None:
    """A status draws its S-curve from every snapshot before it; the store picks out the parts
    a point needs (any schema), and the points equal those of the snapshots read whole."""
    names = ["syncd-8c7db01.json", "syncd-775719a.json", "syncd-8c7db01.json"]
    days = store_days(engine, names)
    whole = [curve_point(s) for s in snapshots(engine, "acme")]
    assert curve_points(engine, "acme") == whole and [p.as_of for p in whole] == days
    assert curve_points(engine, "acme", days[1]) == whole[:2]
    status = load_status(engine, "acme")
    assert status.curve == tuple(whole)
    assert status.change.previous_as_of == days[1]
    earlier = load_status(engine, "acme", days[1])
    assert earlier.curve == tuple(whole[:2]) and earlier.as_of == days[1]


def test_an_earlier_snapshot_of_a_newer_schema_is_refused_for_the_curve_too(
    sqlite_engine: Engine,
) -> None:
    store_days(sqlite_engine, ["syncd-775719a.json"])
    with store.sessions(sqlite_engine).begin() as session:
        data = {**stored("syncd-775719a.json"), "schema": SCHEMA + 1}
        store.save_snapshot(session, "acme", date(2026, 11, 1), baseline_version=1, data=data)
    with pytest.raises(SnapshotSchemaError, match="newer than this syncd"):
        curve_points(sqlite_engine, "acme")
