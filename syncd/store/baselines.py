"""The baseline versions of each client's plan."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select
from sqlalchemy.engine import Engine

from syncd.db import BaselineRow
from syncd.model import utcnow
from syncd.store.base import digest, sessions


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


def newest_version(engine: Engine, client: str) -> tuple[int, str, str] | None:
    """The version, digest and label of a client's newest baseline, without its plan; None
    when it has none."""
    with sessions(engine)() as session:
        row = session.execute(
            select(BaselineRow.version, BaselineRow.digest, BaselineRow.label)
            .where(BaselineRow.client == client)
            .order_by(BaselineRow.version.desc())
            .limit(1)
        ).first()
        return None if row is None else (int(row[0]), str(row[1]), str(row[2]))


def list_baselines(engine: Engine, client: str) -> list[BaselineRow]:
    with sessions(engine)() as session:
        query = (
            select(BaselineRow).where(BaselineRow.client == client).order_by(BaselineRow.version)
        )
        return list(session.execute(query).scalars())
