"""The pulled items: their rows, status history and worklogs, and the plan task
reconciliation linked each to."""

from __future__ import annotations

import functools
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any, cast

from sqlalchemy import String, Table, and_, any_, bindparam, delete, func, or_, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from syncd.db import Item, StatusHistory, WorklogRow
from syncd.model import WorkItem, Worklog, item_from_dict, utcnow
from syncd.store.base import CHUNK, sessions
from syncd.store.bulk import Bulk, insert_many

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
                    _among(session, WorklogRow.external_id, ids[start : start + CHUNK]),
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


def _stored(
    session: Session, client: str, source: str, ids: Sequence[str], column: Any
) -> Iterator[tuple[str, Any]]:
    """(external id, `column`) of each of `ids` the store holds for one connector, read
    `CHUNK` ids a statement."""
    for start in range(0, len(ids), CHUNK):
        yield from session.execute(
            select(Item.external_id, column).where(
                Item.client == client,
                Item.source == source,
                _among(session, Item.external_id, ids[start : start + CHUNK]),
            )
        ).tuples()


def _holding(session: Session, client: str, items: list[WorkItem]) -> list[WorkItem]:
    """The items whose stored row carries their content hash: the version that was kept."""
    stored: dict[tuple[str, str], str] = {}
    for source, ids in _by_source(items).items():
        rows = _stored(session, client, source, ids, Item.content_hash)
        stored.update(((source, ext), digest) for ext, digest in rows)
    return [i for i in items if stored.get(i.ident) == (i.content_hash or "")]


def _among(session: Session, column: Any, values: Sequence[str]) -> Any:
    """`column IN values`; on PostgreSQL `column = ANY(array)`: one statement text however
    many values, where each count of an IN list was a new text to compile and convert."""
    if session.get_bind().dialect.name == "postgresql":
        return column == any_(bindparam("among", list(values), type_=ARRAY(String)))
    return column.in_(values)


@functools.cache
def _statements(dialect: Any) -> tuple[Bulk, Bulk, Bulk]:
    """The item upsert and the history and worklog inserts for one dialect, built once
    (executemany)."""
    insert = postgresql.insert if dialect.name == "postgresql" else sqlite.insert
    table = cast(Table, Item.__table__)
    keys = ("client", "source", "external_id")
    upsert = insert_many(insert, table, ITEM_COLUMNS, dialect)
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
    history = insert_many(insert, history_table, HISTORY_COLUMNS, dialect).on_conflict_do_nothing()
    worklog_table = cast(Table, WorklogRow.__table__)
    worklogs = insert_many(insert, worklog_table, WORKLOG_COLUMNS, dialect).on_conflict_do_nothing()
    return (
        Bulk(upsert, table, ITEM_COLUMNS, dialect),
        Bulk(history, history_table, HISTORY_COLUMNS, dialect),
        Bulk(worklogs, worklog_table, WORKLOG_COLUMNS, dialect),
    )


def _newer(a: WorkItem, b: WorkItem) -> bool:
    if a.updated is None or b.updated is None:
        return b.updated is None
    return a.updated >= b.updated


def mark_gone(session: Session, client: str, source: str, present: frozenset[str]) -> None:
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


def item_hashes(session: Session, client: str) -> list[tuple[str, str, str]]:
    """(source, external id, content hash) of each stored item of a client that is not deleted,
    in that order: what `load_items` gives a reconciliation, in a few bytes each (the hash
    covers every pulled field; the plan task is reconciliation's own output)."""
    rows = session.execute(
        select(Item.source, Item.external_id, Item.content_hash).where(
            Item.client == client, Item.deleted.is_(False)
        )
    )
    return sorted((source, ext, digest) for source, ext, digest in rows)


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


def stored_by_source(engine: Engine) -> list[tuple[str, str, int]]:
    """How many items (not deleted) each connector of each client holds: (client, source,
    count)."""
    with sessions(engine)() as session:
        rows = session.execute(
            select(Item.client, Item.source, func.count())
            .where(Item.deleted.is_(False))
            .group_by(Item.client, Item.source)
        )
        return [(client, source, int(n)) for client, source, n in rows]


def item_versions(
    engine: Engine, client: str, source: str, external_ids: Sequence[str]
) -> dict[str, datetime]:
    """The `updated` stored for each of `external_ids` that the store holds with one."""
    with sessions(engine)() as session:
        rows = _stored(session, client, source, external_ids, Item.updated)
        found = {ext: updated for ext, updated in rows if updated is not None}
    return found
