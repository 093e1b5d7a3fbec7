"""The webhooks syncd registered with the trackers (`webhooks`): one per connector, with its
remote id, callback and expiry."""

from __future__ import annotations

from collections.abc import Collection
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.engine import Engine

from syncd.db import Webhook
from syncd.store.base import sessions
from syncd.store.problems import close_problems


def save_webhook(
    engine: Engine,
    client: str,
    source: str,
    *,
    remote_id: str,
    callback: str,
    expires: datetime | None,
) -> None:
    """Keep the remote id, callback and expiry of a connector's webhook; any open webhook
    problem of the connector is over (one transaction)."""
    with sessions(engine).begin() as session:
        close_problems(session, client, source, "webhook")
        row = session.get(Webhook, (client, source))
        if row is None:
            row = Webhook(client=client, source=source, remote_id="", callback="", expires=None)
            session.add(row)
        row.remote_id, row.callback, row.expires = remote_id, callback, expires


def expiring_webhooks(engine: Engine) -> list[Webhook]:
    """The webhooks that lapse at some time."""
    with sessions(engine)() as session:
        return session.query(Webhook).filter(Webhook.expires.is_not(None)).all()


def hooked(engine: Engine, remote_ids: Collection[str]) -> set[tuple[str, str]]:
    """The (client, connector) pairs whose webhook has one of these remote ids."""
    with sessions(engine)() as session:
        rows = session.execute(
            select(Webhook.client, Webhook.source).where(Webhook.remote_id.in_(remote_ids))
        ).all()
    return {(row.client, row.source) for row in rows}
