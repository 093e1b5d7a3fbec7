"""Many rows in one statement, straight through the driver (the item upsert's path)."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table, bindparam, cast, func, literal_column, select
from sqlalchemy.dialects.postgresql import ARRAY
from sqlalchemy.orm import Session

from syncd.db import UTCDateTime


def insert_many(insert: Any, table: Table, columns: tuple[str, ...], dialect: Any) -> Any:
    """The insert of many rows of `columns` into `table` that `Bulk` runs (`insert`: the
    dialect's own, to add its ON CONFLICT clause to). On PostgreSQL the rows come as one array
    per column, unnested: one statement for all of them, at half the CPU of executemany, which
    sends (and has the driver adapt) each row as a statement of its own. Elsewhere one bind per
    column, run once per row."""
    if dialect.name == "postgresql":
        arrays = [cast(bindparam(name), ARRAY(table.c[name].type)) for name in columns]
        rows: Any = select(literal_column("*")).select_from(func.unnest(*arrays))
        return insert(table).from_select(list(columns), rows)
    return insert(table).values({name: bindparam(name) for name in columns})


class Bulk:
    """One statement run for many rows straight through the driver, each value converted by its
    column's own bind processor: the same SQL and values SQLAlchemy would send, without its
    per-row parameter machinery, which cost more than the database's work (pulls of 10,000
    issues spent 0.3 s in it). The statement is `insert_many`'s: on PostgreSQL its values go
    as one array per column."""

    def __init__(self, statement: Any, table: Table, columns: tuple[str, ...], dialect: Any):
        self.arrays = dialect.name == "postgresql"
        compiled = statement.compile(dialect=dialect)
        self.sql = str(compiled)
        if (
            self.arrays
        ):  # arrays in binary: in text, each JSON value is escaped character by character
            self.sql = re.sub(r"%\((\w+)\)s", r"%(\1)b", self.sql)
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
        if not converted:
            return
        if self.arrays:
            columns = {name: [row[at] for row in converted] for at, name in enumerate(self.order)}
            session.connection().exec_driver_sql(self.sql, columns)
            return
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
