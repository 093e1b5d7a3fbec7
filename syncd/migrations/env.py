"""Alembic environment: the URL comes from the caller (`syncd db upgrade`), never from a file."""

from __future__ import annotations

from typing import Any, Literal

from alembic import context

from syncd.db import make_engine, metadata


def _render_item(type_: str, obj: Any, autogen_context: Any) -> str | Literal[False]:
    if type_ == "type" and obj.__class__.__name__ == "UTCDateTime":
        return "sa.DateTime()"
    return False


def run() -> None:
    config = context.config
    connection = config.attributes.get("connection")
    if connection is None:
        engine = make_engine(config.get_main_option("sqlalchemy.url") or "")
        with engine.begin() as conn:
            _configure(conn)
        engine.dispose()
    else:
        _configure(connection)


def _configure(connection: Any) -> None:
    context.configure(
        connection=connection,
        target_metadata=metadata,
        render_as_batch=connection.dialect.name == "sqlite",
        render_item=_render_item,
        compare_type=False,
    )
    with context.begin_transaction():
        context.run_migrations()


run()
