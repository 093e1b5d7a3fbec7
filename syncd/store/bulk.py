"""Many rows in one statement, straight through the driver (the item upsert's path)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import Table
from sqlalchemy.orm import Session

from syncd.db import UTCDateTime


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
