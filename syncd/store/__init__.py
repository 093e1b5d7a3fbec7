"""The few functions that read and write syncd's store.

Each write that moves a cursor commits the items it covers in the same transaction, so a crash
at any point repeats work and never skips it.
"""

from __future__ import annotations

import functools
import hashlib
import json
import time
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from syncd import redact
from syncd.db import (
    BaselineRow,
    Cursor,
    Item,
    OAuthGrant,
    PushState,
    Run,
    Snapshot,
    StatusHistory,
    SyncError,
    UTCDateTime,
    WorklogRow,
)
from syncd.model import PullResult, Quarantined, WorkItem, Worklog, item_from_dict, utcnow

CHUNK = 500


def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


ITEM_COLUMNS = (
    "client", "source", "external_id", "key", "title", "category", "updated", "plan_task",
    "deleted", "archived", "content_hash", "data", "stored_at",
)  # fmt: skip
HISTORY_COLUMNS = (
    "client", "source", "external_id", "at", "from_status", "to_status", "to_category",
)  # fmt: skip
WORKLOG_COLUMNS = ("client", "source", "external_id", "worklog_id", "started", "seconds")


def _item_row(client: str, item: WorkItem, now: datetime) -> tuple[Any, ...]:
    return (
        client,
        item.source,
        item.external_id,
        item.key,
        item.title,
        item.category.value,
        item.updated,
        item.plan_task,
        item.deleted,
        item.archived,
        item.content_hash or "",
        item,  # the JSON column serializes the frozen value itself (see db.make_engine)
        now,
    )


def upsert_items(session: Session, client: str, items: Iterable[WorkItem]) -> None:
    """Insert or update items keyed by (client, source, external id); never apply an older version.

    A version is the item's `updated`; an equal version is applied only when its content differs.
    Duplicates inside `items` are harmless: the newest wins.
    """
    now = utcnow()
    newest: dict[tuple[str, str], WorkItem] = {}
    for item in items:
        seen = newest.get(item.ident)
        if seen is None or _newer(item, seen):
            newest[item.ident] = item
    if not newest:
        return
    upsert, history, worklogs = _statements(session.get_bind().dialect)
    upsert.run(session, [_item_row(client, i, now) for i in newest.values()])
    _replace_worklogs(session, client, list(newest.values()), worklogs)
    rows = [
        (
            client,
            item.source,
            item.external_id,
            change.at,
            change.from_status,
            change.to_status,
            change.to_category.value if change.to_category else None,
        )
        for item in newest.values()
        for change in item.history
    ]
    if rows:
        history.run(session, rows)


def _replace_worklogs(session: Session, client: str, items: list[WorkItem], insert: Bulk) -> None:
    """Each item's worklog rows become its worklogs, for the items whose stored row now holds
    this very version (an older version that lost the upsert leaves the newer rows alone): a
    worklog deleted in the tool leaves the table with the next pull of its item."""
    kept = _holding(session, client, items)
    for source, ids in _by_source(kept).items():
        for start in range(0, len(ids), CHUNK):
            session.execute(
                delete(WorklogRow).where(
                    WorklogRow.client == client,
                    WorklogRow.source == source,
                    WorklogRow.external_id.in_(ids[start : start + CHUNK]),
                )
            )
    rows = [
        (client, item.source, item.external_id, log.id, log.started, log.seconds)
        for item in kept
        for log in item.worklogs
    ]
    if rows:
        insert.run(session, rows)


def _by_source(items: Iterable[WorkItem]) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for item in items:
        found.setdefault(item.source, []).append(item.external_id)
    return found


def _holding(session: Session, client: str, items: list[WorkItem]) -> list[WorkItem]:
    """The items whose stored row carries their content hash: the version that was kept."""
    stored: dict[tuple[str, str], str] = {}
    for source, ids in _by_source(items).items():
        for start in range(0, len(ids), CHUNK):
            rows = session.execute(
                select(Item.external_id, Item.content_hash).where(
                    Item.client == client,
                    Item.source == source,
                    Item.external_id.in_(ids[start : start + CHUNK]),
                )
            )
            stored.update(((source, ext), digest) for ext, digest in rows)
    return [i for i in items if stored.get(i.ident) == (i.content_hash or "")]


class Bulk:
    """One statement run for many rows straight through the driver, each value converted by its
    column's own bind processor: the same SQL and values SQLAlchemy would send, without its
    per-row parameter machinery, which cost more than the database's work (pulls of 10,000
    issues spent 0.3 s in it)."""

    def __init__(self, statement: Any, table: Table, columns: tuple[str, ...], dialect: Any):
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        self.positional = bool(compiled.positional)  # SQLite: `?` in `positiontup` order
        self.order = list(compiled.positiontup or []) if self.positional else list(columns)
        self.index = [columns.index(name) for name in self.order]
        processors = [
            sqlite_utc_text
            if dialect.name == "sqlite" and isinstance(table.c[name].type, UTCDateTime)
            else table.c[name].type.dialect_impl(dialect).bind_processor(dialect)
            for name in self.order
        ]  # the dialect's own types (SQLite's DATETIME writes its text form)
        self.convert = [(at, p) for at, p in enumerate(processors) if p is not None]
        self.same_order = self.index == list(range(len(columns)))

    def run(self, session: Session, rows: list[tuple[Any, ...]]) -> None:
        converted: list[tuple[Any, ...]] = []
        for row in rows:
            values = list(row) if self.same_order else [row[i] for i in self.index]
            for at, process in self.convert:
                if values[at] is not None:
                    values[at] = process(values[at])
            converted.append(tuple(values))
        params: list[Any] = (
            converted
            if self.positional
            else [dict(zip(self.order, row, strict=True)) for row in converted]
        )
        session.connection().exec_driver_sql(self.sql, params)


def sqlite_utc_text(value: datetime) -> str:
    """An aware datetime as the text SQLAlchemy's SQLite DATETIME stores for `UTCDateTime`
    (`2026-11-20 09:15:30.000000`, in UTC), at a fifth of the cost of its two processors."""
    if value.tzinfo is None:
        raise ValueError("naive datetime given to the store")
    return value.astimezone(UTC).replace(tzinfo=None).isoformat(" ", "microseconds")


@functools.cache
def _statements(dialect: Any) -> tuple[Bulk, Bulk, Bulk]:
    """The item upsert and the history and worklog inserts for one dialect, built once
    (executemany)."""
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    table = cast(Table, Item.__table__)
    keys = ("client", "source", "external_id")
    upsert = insert(table).values({name: bindparam(name) for name in ITEM_COLUMNS})
    new = upsert.excluded
    upsert = upsert.on_conflict_do_update(
        index_elements=list(keys),
        set_={
            c.name: getattr(new, c.name)
            for c in table.columns
            if c.name not in (*keys, "id", "plan_task")  # the link is reconciliation's
        },
        where=or_(
            table.c.updated.is_(None),
            new.updated > table.c.updated,
            and_(new.updated == table.c.updated, new.content_hash != table.c.content_hash),
        ),
    )
    history_table = cast(Table, StatusHistory.__table__)
    history = (
        insert(history_table)
        .values({name: bindparam(name) for name in HISTORY_COLUMNS})
        .on_conflict_do_nothing()
    )
    worklog_table = cast(Table, WorklogRow.__table__)
    worklogs = (
        insert(worklog_table)
        .values({name: bindparam(name) for name in WORKLOG_COLUMNS})
        .on_conflict_do_nothing()
    )
    return (
        Bulk(upsert, table, ITEM_COLUMNS, dialect),
        Bulk(history, history_table, HISTORY_COLUMNS, dialect),
        Bulk(worklogs, worklog_table, WORKLOG_COLUMNS, dialect),
    )


def _newer(a: WorkItem, b: WorkItem) -> bool:
    if a.updated is None or b.updated is None:
        return b.updated is None
    return a.updated >= b.updated


def quarantine(session: Session, client: str, bad: Sequence[Quarantined]) -> None:
    """Keep each bad payload with its error: one open row per item, the latest."""
    now = utcnow()
    for q in bad:
        _close(
            session,
            client,
            SyncError.source == q.source,
            SyncError.kind == "quarantine",
            SyncError.external_id == q.external_id,
        )
        session.add(
            SyncError(
                client=client,
                source=q.source,
                external_id=q.external_id,
                kind="quarantine",
                message=redact.text(q.error)[:2000],
                payload=q.payload[:20000],
                at=now,
            )
        )


@dataclass(frozen=True)
class SliceLeft:
    """What a sliced pull left for the next one: the ids to fetch, the newest change its slices
    saw (where the cursor goes after the last), and the connector settings they were listed
    under (changed settings: the ids are dropped and the next pull lists afresh)."""

    ids: tuple[str, ...]
    newest: datetime | None
    config: Any  # the connector's settings (a pydantic model)

    def state(self) -> dict[str, Any]:
        return {
            "ids": list(self.ids),
            "newest": self.newest.isoformat() if self.newest else None,
            "config": _digest(self.config),
        }


def _digest(config: Any) -> str:
    return hashlib.sha256(config.model_dump_json().encode()).hexdigest()[:16]


def slice_left(
    cursor: Cursor | None, config: Any, since: datetime | None
) -> tuple[tuple[str, ...], datetime | None]:
    """The ids an earlier slice left (none when its connector's settings changed since), and
    the newest change seen so far (`since` when there is no slice)."""
    left = (cursor.state or {}).get("slice") if cursor is not None else None
    if not left or left.get("config") != _digest(config):
        return (), since
    seen = datetime.fromisoformat(left["newest"]) if left.get("newest") else None
    newest = max((t for t in (since, seen) if t is not None), default=None)
    return tuple(left.get("ids") or ()), newest


def commit_pull(
    engine: Engine,
    client: str,
    source: str,
    result: PullResult,
    *,
    final: bool = True,
    left: SliceLeft | None = None,
    site: Mapping[str, Any] | None = None,
) -> None:
    """Store a page's items and quarantined payloads; on the final page also move the cursor.

    The cursor only moves forward, and only in the transaction that commits the last page, so
    every item it covers is stored first. A slice's final page keeps what it `left` instead.
    What the connector learned of its `site` is kept beside the cursor (state `site`).
    """
    with sessions(engine).begin() as session:
        upsert_items(session, client, result.items)
        _resolve_quarantined(session, client, source, result.items)
        quarantine(session, client, result.quarantined)
        if not final:
            return
        close_problems(session, client, source, "pull")  # the pull went through
        cursor = session.get(Cursor, (client, source), with_for_update=True)
        if cursor is None:
            cursor = Cursor(client=client, source=source, pulls=0, state={})
            session.add(cursor)
        if result.cursor is not None and (cursor.cursor is None or result.cursor > cursor.cursor):
            cursor.cursor = result.cursor
        cursor.pulls = (cursor.pulls or 0) + 1
        cursor.last_success = utcnow()
        state = {k: v for k, v in (cursor.state or {}).items() if k != "slice"}
        if site:
            state["site"] = dict(site)
        cursor.state = {**state, "slice": left.state()} if left is not None else state
        if result.census is not None:
            cursor.census_at = utcnow()
            _mark_gone(session, client, source, result.census)


def close_problems(session: Session, client: str, source: str, kind: str) -> None:
    """Mark a source's open problems of one kind as over."""
    _close(session, client, SyncError.source == source, SyncError.kind == kind)


def _close(session: Session, client: str, *which: Any) -> None:
    """Mark the client's open problems that match every condition in `which` as over."""
    session.execute(
        update(SyncError)
        .where(SyncError.client == client, SyncError.resolved.is_(False), *which)
        .values(resolved=True)
    )


def _resolve_quarantined(
    session: Session, client: str, source: str, items: Sequence[WorkItem]
) -> None:
    """Close the quarantine rows of items that have now been understood and stored."""
    if not items:
        return
    open_ids: set[str] = {
        ext
        for ext in session.execute(
            select(SyncError.external_id).where(
                SyncError.client == client,
                SyncError.source == source,
                SyncError.kind == "quarantine",
                SyncError.resolved.is_(False),
            )
        ).scalars()
        if ext is not None
    }
    if not open_ids:
        return
    healed = sorted(open_ids & {item.external_id for item in items})
    for start in range(0, len(healed), CHUNK):
        _close(
            session,
            client,
            SyncError.source == source,
            SyncError.kind == "quarantine",
            SyncError.external_id.in_(healed[start : start + CHUNK]),
        )


class PageSink:
    """Where a pull's pages go: committed together once about `batch` items wait (or `seconds`
    passed since the last commit), the rest with the cursor in `close`.

    One transaction per ten pages instead of one per page cost a third less for 10,000 issues
    (bench/pull.py); a crash in between repeats at most a batch, from the old cursor.
    """

    def __init__(
        self, engine: Engine, client: str, source: str, *, batch: int = 1000, seconds: float = 2.0
    ) -> None:
        self.engine, self.client, self.source = engine, client, source
        self.batch, self.seconds = batch, seconds
        self.items: list[WorkItem] = []
        self.quarantined: list[Quarantined] = []
        self.last = time.monotonic()

    def add(self, page: PullResult) -> None:
        self.items.extend(page.items)
        self.quarantined.extend(page.quarantined)
        if len(self.items) + len(self.quarantined) >= self.batch or (
            time.monotonic() - self.last >= self.seconds
        ):
            self._commit(PullResult(), final=False)

    def close(
        self,
        cursor: datetime | None,
        census: frozenset[str] | None = None,
        *,
        left: SliceLeft | None = None,
        site: Mapping[str, Any] | None = None,
    ) -> None:
        """Commit what waits and move the cursor (or keep what a slice `left`), and keep what
        the connector learned of its `site`, in one transaction."""
        self._commit(PullResult(cursor=cursor, census=census), final=True, left=left, site=site)

    def _commit(
        self,
        last: PullResult,
        *,
        final: bool,
        left: SliceLeft | None = None,
        site: Mapping[str, Any] | None = None,
    ) -> None:
        result = PullResult(
            items=self.items, quarantined=self.quarantined, cursor=last.cursor, census=last.census
        )
        commit_pull(
            self.engine, self.client, self.source, result, final=final, left=left, site=site
        )
        self.items, self.quarantined, self.last = [], [], time.monotonic()


def _mark_gone(session: Session, client: str, source: str, present: frozenset[str]) -> None:
    """After a completed census: items not seen are deleted (or no longer visible)."""
    rows = session.execute(
        select(Item.external_id).where(
            Item.client == client, Item.source == source, Item.deleted.is_(False)
        )
    ).scalars()
    gone = [ext for ext in rows if ext not in present]
    for start in range(0, len(gone), CHUNK):
        session.execute(
            update(Item)
            .where(
                Item.client == client,
                Item.source == source,
                Item.external_id.in_(gone[start : start + CHUNK]),
            )
            .values(deleted=True)
        )


def pushed_remotes(engine: Engine, client: str, source: str) -> list[dict[str, Any]]:
    """What the pushes of one connector wrote where (`PushState.remote` of each target)."""
    with sessions(engine)() as session:
        rows = session.execute(
            select(PushState.remote).where(PushState.client == client, PushState.source == source)
        ).scalars()
        return [dict(remote) for remote in rows]


def item_versions(
    engine: Engine, client: str, source: str, external_ids: Sequence[str]
) -> dict[str, datetime]:
    """The `updated` stored for each of `external_ids` that the store holds with one."""
    found: dict[str, datetime] = {}
    with sessions(engine)() as session:
        for start in range(0, len(external_ids), CHUNK):
            rows = session.execute(
                select(Item.external_id, Item.updated).where(
                    Item.client == client,
                    Item.source == source,
                    Item.external_id.in_(external_ids[start : start + CHUNK]),
                )
            )
            found.update((ext, updated) for ext, updated in rows if updated is not None)
    return found


def get_cursor(engine: Engine, client: str, source: str) -> Cursor | None:
    with sessions(engine)() as session:
        return session.get(Cursor, (client, source))


def load_items(engine: Engine, client: str, *, include_deleted: bool = False) -> list[WorkItem]:
    """Every stored item of a client as WorkItems, deleted ones flagged (or left out), each with
    the plan task the last reconciliation linked it to."""
    with sessions(engine)() as session:
        query = select(Item.data, Item.deleted, Item.plan_task).where(Item.client == client)
        if not include_deleted:
            query = query.where(Item.deleted.is_(False))
        out = []
        for data, deleted, task in session.execute(query):
            data["plan_task"] = task
            item = item_from_dict(data)
            out.append(item if not deleted else _flag_deleted(item))
        return out


def load_worklogs(engine: Engine, client: str) -> dict[tuple[str, str], list[Worklog]]:
    """The stored worklogs of a client's items by (source, external id), oldest first (the same
    worklogs each item read by `load_items` carries)."""
    with sessions(engine)() as session:
        query = (
            select(WorklogRow)
            .where(WorklogRow.client == client)
            .order_by(WorklogRow.started, WorklogRow.worklog_id)
        )
        out: dict[tuple[str, str], list[Worklog]] = {}
        for row in session.execute(query).scalars():
            log = Worklog(row.worklog_id, row.started, row.seconds)
            out.setdefault((row.source, row.external_id), []).append(log)
        return out


def link_items(session: Session, client: str, links: Mapping[tuple[str, str], str | None]) -> int:
    """Store the plan task of each linked item (None: unplanned); the rest are left alone.
    Returns how many links changed."""
    current = session.execute(
        select(Item.source, Item.external_id, Item.plan_task).where(Item.client == client)
    ).all()
    changed = [
        {"s": source, "e": ext, "t": links[(source, ext)]}
        for source, ext, task in current
        if (source, ext) in links and links[(source, ext)] != task
    ]
    if changed:
        table = cast(Table, Item.__table__)
        statement = (
            update(table)
            .where(
                table.c.client == client,
                table.c.source == bindparam("s"),
                table.c.external_id == bindparam("e"),
            )
            .values(plan_task=bindparam("t"))
        )
        session.connection().execute(statement, changed)
    return len(changed)


def _flag_deleted(item: WorkItem) -> WorkItem:
    from dataclasses import replace

    return replace(item, deleted=True)


def count_items(engine: Engine, client: str, source: str | None = None) -> int:
    with sessions(engine)() as session:
        query = select(func.count()).select_from(Item).where(Item.client == client)
        if source is not None:
            query = query.where(Item.source == source)
        return int(session.execute(query).scalar_one())


def start_run(engine: Engine, client: str, source: str | None, kind: str) -> int:
    with sessions(engine).begin() as session:
        run = Run(client=client, source=source, kind=kind, started=utcnow())
        session.add(run)
        session.flush()
        return run.id


def finish_run(
    engine: Engine, run_id: int, *, ok: bool, items: int = 0, requests: int = 0, error: str = ""
) -> None:
    with sessions(engine).begin() as session:
        run = session.get(Run, run_id)
        if run is None:
            return
        run.finished, run.ok, run.items, run.requests = utcnow(), ok, items, requests
        run.error = redact.text(error)[:2000] or None


def record_error(
    engine: Engine, client: str, *, kind: str, message: str, source: str | None = None
) -> None:
    """Record a problem; the same problem still open is replaced by this, its latest sighting."""
    message = redact.text(message)[:2000]
    with sessions(engine).begin() as session:
        _close(
            session,
            client,
            SyncError.source == source if source is not None else SyncError.source.is_(None),
            SyncError.kind == kind,
            SyncError.message == message,
        )
        session.add(
            SyncError(client=client, source=source, kind=kind, message=message, at=utcnow())
        )


def digest(data: Any) -> str:
    blob = json.dumps(data, sort_keys=True, separators=(",", ":"), default=str).encode()
    return hashlib.sha256(blob).hexdigest()


def save_baseline(
    engine: Engine, client: str, data: dict[str, Any], *, label: str, source_file: str
) -> tuple[int, bool]:
    """Store a new baseline version unless it equals the latest; return (version, created)."""
    dig = digest(data)
    with sessions(engine).begin() as session:
        latest = (
            session.execute(
                select(BaselineRow)
                .where(BaselineRow.client == client)
                .order_by(BaselineRow.version.desc())
            )
            .scalars()
            .first()
        )
        if latest is not None and latest.digest == dig:
            return latest.version, False
        version = 1 if latest is None else latest.version + 1
        session.add(
            BaselineRow(
                client=client,
                version=version,
                label=label,
                source_file=source_file,
                digest=dig,
                created=utcnow(),
                data=data,
            )
        )
        return version, True


def load_baseline(engine: Engine, client: str, version: int | None = None) -> BaselineRow | None:
    """The given baseline version of a client, or its newest."""
    with sessions(engine)() as session:
        query = select(BaselineRow).where(BaselineRow.client == client)
        if version is not None:
            query = query.where(BaselineRow.version == version)
        return session.execute(query.order_by(BaselineRow.version.desc())).scalars().first()


def list_baselines(engine: Engine, client: str) -> list[BaselineRow]:
    with sessions(engine)() as session:
        query = (
            select(BaselineRow).where(BaselineRow.client == client).order_by(BaselineRow.version)
        )
        return list(session.execute(query).scalars())


def save_snapshot(
    session: Session, client: str, as_of: date, *, baseline_version: int, data: dict[str, Any]
) -> Snapshot:
    """Store (or replace) the snapshot of one client and status date."""
    row = (
        session.execute(select(Snapshot).where(Snapshot.client == client, Snapshot.as_of == as_of))
        .scalars()
        .first()
    )
    status_hash = digest(data)
    if row is None:
        row = Snapshot(client=client, as_of=as_of)
        session.add(row)
    row.baseline_version, row.data, row.created = baseline_version, data, utcnow()
    row.status_hash = status_hash
    return row


def load_snapshots(engine: Engine, client: str) -> list[Snapshot]:
    with sessions(engine)() as session:
        query = select(Snapshot).where(Snapshot.client == client).order_by(Snapshot.as_of)
        return list(session.execute(query).scalars())


class GrantKeeper:
    """Keeps the newest refresh token of each OAuth grant in the store, by `Grant.key`."""

    def __init__(self, engine: Engine) -> None:
        self.engine = engine

    def __repr__(self) -> str:
        return f"GrantKeeper({self.engine.url.render_as_string(hide_password=True)!r})"

    def load(self, grant: str) -> str | None:
        with sessions(self.engine)() as session:
            row = session.get(OAuthGrant, grant)
            return row.refresh_token if row is not None else None

    def save(self, grant: str, refresh_token: str) -> None:
        with sessions(self.engine).begin() as session:
            row = session.get(OAuthGrant, grant)
            if row is None:
                row = OAuthGrant(grant=grant)
                session.add(row)
            row.refresh_token, row.rotated = refresh_token, utcnow()
