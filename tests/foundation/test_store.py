"""The store on SQLite and PostgreSQL: migrations, upsert by identity, newer versions only."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy.engine import Engine

from syncd import store
from syncd.db import metadata
from syncd.model import PullResult, Quarantined, StatusCategory, StatusChange, WorkItem
from syncd.store.baselines import list_baselines, load_baseline, save_baseline
from syncd.store.bulk import sqlite_utc_text
from syncd.store.grants import GrantKeeper
from syncd.store.health import health
from syncd.store.items import count_items, link_items, load_items, upsert_items
from syncd.store.problems import record_error
from syncd.store.pulls import commit_pull, get_cursor

T0 = datetime(2026, 11, 2, 9, 0, tzinfo=UTC)


def item(ext: str = "10001", *, updated: datetime = T0, title: str = "Build API") -> WorkItem:
    return WorkItem(
        source="acme-jira",
        external_id=ext,
        key=f"ACME-{ext}",
        title=title,
        category=StatusCategory.IN_PROGRESS,
        updated=updated,
        history=(
            StatusChange(
                at=T0,
                from_status="To Do",
                to_status="In Progress",
                to_category=StatusCategory.IN_PROGRESS,
            ),
        ),
    ).with_hash()


def test_migrations_apply_to_empty_database_and_match_the_models(engine: Engine) -> None:
    """Alembic creates every table, and the models have no change the migrations lack."""
    names = set(sa.inspect(engine).get_table_names())
    assert {"items", "cursors", "jobs", "snapshots", "baselines", "alembic_version"} <= names
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), metadata)
    assert diff == []


def test_upsert_twice_is_one_row(engine: Engine) -> None:
    """Upserting the same item twice leaves one row."""
    for _ in range(2):
        with store.sessions(engine).begin() as session:
            upsert_items(session, "acme", [item()])
    assert count_items(engine, "acme") == 1


def test_older_version_never_overwrites_newer(engine: Engine) -> None:
    """An item with an older `updated` does not replace the stored newer one."""
    newer = item(updated=T0 + timedelta(hours=1), title="new title")
    older = item(updated=T0, title="old title")
    with store.sessions(engine).begin() as session:
        upsert_items(session, "acme", [newer])
    with store.sessions(engine).begin() as session:
        upsert_items(session, "acme", [older])
    [stored] = load_items(engine, "acme")
    assert stored.title == "new title"
    with store.sessions(engine).begin() as session:
        upsert_items(session, "acme", [item(updated=T0 + timedelta(hours=2), title="newest")])
    [stored] = load_items(engine, "acme")
    assert stored.title == "newest"


def test_duplicates_in_one_batch_keep_the_newest(engine: Engine) -> None:
    """A page that repeats an item (Jira's overlap) stores it once, newest version."""
    batch = [item(updated=T0 + timedelta(minutes=5), title="b"), item(updated=T0, title="a")]
    with store.sessions(engine).begin() as session:
        upsert_items(session, "acme", batch)
    [stored] = load_items(engine, "acme")
    assert stored.title == "b"


def test_items_round_trip_with_aware_datetimes_and_history(engine: Engine) -> None:
    """What goes in comes out equal, datetimes aware UTC, history included."""
    original = item()
    with store.sessions(engine).begin() as session:
        upsert_items(session, "acme", [original])
    [stored] = load_items(engine, "acme")
    assert stored == original
    assert stored.updated is not None and stored.updated.tzinfo is not None


def test_commit_pull_moves_cursor_with_items_and_keeps_quarantine(engine: Engine) -> None:
    """A pull's items, quarantined payloads and cursor land together; the cursor never goes back."""
    result = PullResult(
        items=[item("1"), item("2")],
        quarantined=[Quarantined(source="acme-jira", external_id="3", error="bad date")],
        cursor=T0,
    )
    commit_pull(engine, "acme", "acme-jira", result)
    commit_pull(engine, "acme", "acme-jira", PullResult(cursor=T0 - timedelta(days=1)))
    cursor = get_cursor(engine, "acme", "acme-jira")
    assert cursor is not None and cursor.cursor == T0 and cursor.pulls == 2
    assert count_items(engine, "acme") == 2
    with store.sessions(engine)() as session:
        kinds = session.execute(sa.text("select kind, external_id from sync_errors")).all()
    assert [tuple(k) for k in kinds] == [("quarantine", "3")]


def test_census_marks_missing_items_deleted_only_when_complete(engine: Engine) -> None:
    """Items absent from a completed census are flagged deleted; a pull without one deletes none."""
    commit_pull(engine, "acme", "acme-jira", PullResult(items=[item("1"), item("2")]))
    commit_pull(engine, "acme", "acme-jira", PullResult(items=[]))
    assert len(load_items(engine, "acme")) == 2
    commit_pull(engine, "acme", "acme-jira", PullResult(census=frozenset({"1"})))
    assert [i.external_id for i in load_items(engine, "acme")] == ["1"]
    gone = [i for i in load_items(engine, "acme", include_deleted=True) if i.deleted]
    assert [i.external_id for i in gone] == ["2"]


def test_baseline_versions_are_kept_and_identical_reimport_is_noop(engine: Engine) -> None:
    """Re-baselining adds a version; importing the same plan again does not."""
    v1, created1 = save_baseline(engine, "acme", {"tasks": [1]}, label="v1", source_file="a")
    v1b, created1b = save_baseline(engine, "acme", {"tasks": [1]}, label="v1", source_file="a")
    v2, created2 = save_baseline(engine, "acme", {"tasks": [2]}, label="v2", source_file="a")
    assert (v1, created1, v1b, created1b, v2, created2) == (1, True, 1, False, 2, True)
    assert [b.version for b in list_baselines(engine, "acme")] == [1, 2]
    latest = load_baseline(engine, "acme")
    assert latest is not None and latest.data == {"tasks": [2]}


def test_clients_are_isolated_by_key(engine: Engine) -> None:
    """The same connector id and external id under two clients are two rows."""
    with store.sessions(engine).begin() as session:
        upsert_items(session, "acme", [item()])
        upsert_items(session, "beta", [replace(item(), title="other").with_hash()])
    assert count_items(engine, "acme") == 1 and count_items(engine, "beta") == 1


@given(
    moment=st.datetimes(
        min_value=datetime(1900, 1, 1), max_value=datetime(2200, 1, 1), timezones=st.timezones()
    )
)
def test_the_fast_sqlite_datetime_text_is_what_sqlalchemy_writes(moment: datetime) -> None:
    """The bulk writer's own conversion of an aware datetime equals SQLAlchemy's two processors
    (so rows written either way compare and read back alike)."""
    from sqlalchemy.dialects import sqlite

    from syncd.db import UTCDateTime

    dialect = sqlite.dialect()
    impl = UTCDateTime().dialect_impl(dialect)
    process = impl.bind_processor(dialect)
    assert process is not None
    assert sqlite_utc_text(moment) == process(moment)


def test_items_written_in_bulk_read_back_through_the_orm_and_compare_in_sql(engine: Engine) -> None:
    """Rows from the driver-level upsert are the rows SQLAlchemy reads: the same datetimes,
    the same JSON, and `updated` compared correctly in SQL across whole and fractional seconds."""
    whole = item("1", updated=T0)
    fraction = item("1", updated=T0 + timedelta(microseconds=250))
    with store.sessions(engine).begin() as session:
        upsert_items(session, "acme", [whole])
    with store.sessions(engine).begin() as session:
        upsert_items(session, "acme", [fraction])
    with store.sessions(engine).begin() as session:
        upsert_items(session, "acme", [replace(whole, title="stale").with_hash()])
    [back] = load_items(engine, "acme")
    assert back == fraction and back.updated is not None and back.updated.tzinfo is UTC
    with engine.connect() as conn:
        stored = conn.execute(sa.select(sa.text("updated")).select_from(sa.text("items"))).scalar()
    assert stored is not None


def test_grant_keeper_keeps_the_newest_refresh_token(engine: Engine) -> None:
    """An OAuth grant's rotated refresh token survives in the store, one row per grant."""
    keeper = GrantKeeper(engine)
    assert keeper.load("grant-a") is None
    keeper.save("grant-a", "rt-1")
    keeper.save("grant-a", "rt-2")
    keeper.save("grant-b", "rt-x")
    assert keeper.load("grant-a") == "rt-2" and keeper.load("grant-b") == "rt-x"
    assert GrantKeeper(engine).load("grant-a") == "rt-2"
    assert "rt-2" not in repr(keeper)


def open_problems(engine: Engine) -> list[tuple[str, str | None, str]]:
    return [(p.kind, p.source, p.message) for p in health(engine, "acme").problems]


def test_a_pull_that_goes_through_closes_the_failures_before_it(engine: Engine) -> None:
    """Failed pulls show as open problems until the next pull of that source succeeds; the
    same failure seen twice is one problem, not two."""
    for _ in range(2):
        record_error(engine, "acme", kind="pull", message="503 from Jira", source="acme-jira")
    record_error(engine, "acme", kind="pull", message="503 from Trello", source="board")
    assert sorted(open_problems(engine)) == [
        ("pull", "acme-jira", "503 from Jira"),
        ("pull", "board", "503 from Trello"),
    ]
    commit_pull(engine, "acme", "acme-jira", PullResult(items=(item(),), cursor=T0))
    assert open_problems(engine) == [("pull", "board", "503 from Trello")]


def test_a_quarantined_item_is_one_problem_until_it_is_understood(engine: Engine) -> None:
    """An item quarantined on every pull is one open problem (the latest error); once a pull
    brings it in a shape syncd understands, the problem is closed."""
    for error in ("bad date", "bad date again"):
        bad = Quarantined(source="acme-jira", external_id="10001", error=error, payload="{}")
        commit_pull(engine, "acme", "acme-jira", PullResult(quarantined=(bad,)), final=False)
    assert open_problems(engine) == [("quarantine", "acme-jira", "bad date again")]
    commit_pull(engine, "acme", "acme-jira", PullResult(items=(item("10002"),)), final=False)
    assert len(open_problems(engine)) == 1  # another item: still open
    commit_pull(engine, "acme", "acme-jira", PullResult(items=(item("10001"),)), final=False)
    assert open_problems(engine) == []


def test_a_link_survives_the_next_pull_and_is_loaded_with_the_item(engine: Engine) -> None:
    """The plan task reconciliation stored stays when a newer version of the item is pulled,
    and `load_items` gives it back; linking to None unlinks."""
    with store.sessions(engine).begin() as session:
        upsert_items(session, "acme", [item()])
        assert link_items(session, "acme", {("acme-jira", "10001"): "2.1"}) == 1
    with store.sessions(engine).begin() as session:
        upsert_items(session, "acme", [item(updated=T0 + timedelta(hours=1), title="API")])
    [loaded] = load_items(engine, "acme")
    assert (loaded.title, loaded.plan_task) == ("API", "2.1")
    with store.sessions(engine).begin() as session:
        assert link_items(session, "acme", {("acme-jira", "10001"): "2.1"}) == 0
        assert link_items(session, "acme", {("acme-jira", "10001"): None}) == 1
    assert load_items(engine, "acme")[0].plan_task is None
