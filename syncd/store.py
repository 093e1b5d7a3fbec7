"""The few functions that read and write syncd's store.

Each write that moves a cursor commits the items it covers in the same transaction, so a crash
at any point repeats work and never skips it.
"""

from __future__ import annotations

import functools
import hashlib
import json
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from typing import Any, cast

from sqlalchemy import Table, and_, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session, sessionmaker

from syncd.db import BaselineRow, Cursor, Item, Run, Snapshot, StatusHistory, SyncError
from syncd.model import PullResult, Quarantined, WorkItem, item_from_dict, utcnow

CHUNK = 500


def sessions(engine: Engine) -> sessionmaker[Session]:
    return sessionmaker(engine, expire_on_commit=False)


def _item_row(client: str, item: WorkItem, now: datetime) -> dict[str, Any]:
    return {
        "client": client,
        "source": item.source,
        "external_id": item.external_id,
        "key": item.key,
        "title": item.title,
        "category": item.category.value,
        "updated": item.updated,
        "plan_task": item.plan_task,
        "deleted": item.deleted,
        "archived": item.archived,
        "content_hash": item.content_hash or "",
        "data": item,  # the JSON column serializes the frozen value itself (see db.make_engine)
        "stored_at": now,
    }


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
    dialect = session.get_bind().dialect.name
    session.execute(_statements(dialect)[0], [_item_row(client, i, now) for i in newest.values()])
    _record_history(session, client, newest.values(), dialect)


@functools.cache
def _statements(dialect: str) -> tuple[Any, Any]:
    """The item upsert and the history insert for one dialect, built once (executemany)."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table = cast(Table, Item.__table__)
    upsert = insert(table)
    new = upsert.excluded
    keys = ("client", "source", "external_id")
    upsert = upsert.on_conflict_do_update(
        index_elements=list(keys),
        set_={c.name: getattr(new, c.name) for c in table.columns if c.name not in (*keys, "id")},
        where=or_(
            table.c.updated.is_(None),
            new.updated > table.c.updated,
            and_(new.updated == table.c.updated, new.content_hash != table.c.content_hash),
        ),
    )
    history = insert(cast(Table, StatusHistory.__table__)).on_conflict_do_nothing()
    return upsert, history


def _newer(a: WorkItem, b: WorkItem) -> bool:
    if a.updated is None or b.updated is None:
        return b.updated is None
    return a.updated >= b.updated


def _record_history(session: Session, client: str, items: Iterable[WorkItem], dialect: str) -> None:
    rows = [
        {
            "client": client,
            "source": item.source,
            "external_id": item.external_id,
            "at": change.at,
            "from_status": change.from_status,
            "to_status": change.to_status,
            "to_category": change.to_category.value if change.to_category else None,
        }
        for item in items
        for change in item.history
    ]
    if rows:
        session.execute(_statements(dialect)[1], rows)


def quarantine(session: Session, client: str, bad: Sequence[Quarantined]) -> None:
    now = utcnow()
    for q in bad:
        session.add(
            SyncError(
                client=client,
                source=q.source,
                external_id=q.external_id,
                kind="quarantine",
                message=q.error[:2000],
                payload=q.payload[:20000],
                at=now,
            )
        )


def commit_pull(
    engine: Engine, client: str, source: str, result: PullResult, *, final: bool = True
) -> None:
    """Store a page's items and quarantined payloads; on the final page also move the cursor.

    The cursor only moves forward, and only in the transaction that commits the last page, so
    every item it covers is stored first.
    """
    with sessions(engine).begin() as session:
        upsert_items(session, client, result.items)
        quarantine(session, client, result.quarantined)
        if not final:
            return
        cursor = session.get(Cursor, (client, source), with_for_update=True)
        if cursor is None:
            cursor = Cursor(client=client, source=source, pulls=0, state={})
            session.add(cursor)
        if result.cursor is not None and (cursor.cursor is None or result.cursor > cursor.cursor):
            cursor.cursor = result.cursor
        cursor.pulls = (cursor.pulls or 0) + 1
        cursor.last_success = utcnow()
        if result.census is not None:
            cursor.census_at = utcnow()
            _mark_gone(session, client, source, result.census)


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


def get_cursor(engine: Engine, client: str, source: str) -> Cursor | None:
    with sessions(engine)() as session:
        return session.get(Cursor, (client, source))


def load_items(engine: Engine, client: str, *, include_deleted: bool = False) -> list[WorkItem]:
    """Every stored item of a client as WorkItems, deleted ones flagged (or left out)."""
    with sessions(engine)() as session:
        query = select(Item.data, Item.deleted).where(Item.client == client)
        if not include_deleted:
            query = query.where(Item.deleted.is_(False))
        out = []
        for data, deleted in session.execute(query):
            item = item_from_dict(data)
            out.append(item if not deleted else _flag_deleted(item))
        return out


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
        run.error = error[:2000] or None


def record_error(
    engine: Engine, client: str, *, kind: str, message: str, source: str | None = None
) -> None:
    with sessions(engine).begin() as session:
        session.add(
            SyncError(client=client, source=source, kind=kind, message=message[:2000], at=utcnow())
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
