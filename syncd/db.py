"""The tables of syncd's store (SQLAlchemy 2.x, typed) and the engine that reaches them.

The schema is owned by Alembic migrations in `syncd/migrations`; `upgrade` brings any database,
SQLite or PostgreSQL, to the newest revision.
"""

from __future__ import annotations

import logging
import os
import time
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import orjson
from sqlalchemy import (
    JSON,
    Boolean,
    Date,
    DateTime,
    Dialect,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
    create_engine,
    event,
)
from sqlalchemy.engine import Engine
from sqlalchemy.exc import ArgumentError, DisconnectionError
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column
from sqlalchemy.types import TypeDecorator

from syncd.errors import ConfigError


class UTCDateTime(TypeDecorator[datetime]):
    """An aware UTC datetime on every backend (SQLite keeps no zone; we store UTC and re-attach)."""

    impl = DateTime
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the store")
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        return None if value is None else value.replace(tzinfo=UTC)


class Base(DeclarativeBase):
    type_annotation_map = {datetime: UTCDateTime, dict[str, Any]: JSON, date: Date}


class Item(Base):
    """One normalized WorkItem: the full value in `data`, the queried fields in columns."""

    __tablename__ = "items"
    __table_args__ = (
        UniqueConstraint("client", "source", "external_id", name="uq_items_ident"),
        Index("ix_items_client_task", "client", "plan_task"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(128))
    key: Mapped[str] = mapped_column(String(128))
    title: Mapped[str] = mapped_column(Text)
    category: Mapped[str] = mapped_column(String(16))
    updated: Mapped[datetime | None]
    plan_task: Mapped[str | None] = mapped_column(String(128))
    deleted: Mapped[bool] = mapped_column(Boolean, default=False)
    archived: Mapped[bool] = mapped_column(Boolean, default=False)
    content_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    stored_at: Mapped[datetime]


class StatusHistory(Base):
    __tablename__ = "status_history"
    __table_args__ = (
        UniqueConstraint("client", "source", "external_id", "at", "to_status", name="uq_history"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(64))
    source: Mapped[str] = mapped_column(String(64))
    external_id: Mapped[str] = mapped_column(String(128))
    at: Mapped[datetime]
    from_status: Mapped[str | None] = mapped_column(String(128))
    to_status: Mapped[str] = mapped_column(String(128))
    to_category: Mapped[str | None] = mapped_column(String(16))


class WorklogRow(Base):
    """One dated worklog of an item (Jira); an item's rows are replaced whenever it is stored."""

    __tablename__ = "worklogs"
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    external_id: Mapped[str] = mapped_column(String(128), primary_key=True)
    worklog_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    started: Mapped[datetime]
    seconds: Mapped[int] = mapped_column(Integer)


class Cursor(Base):
    """Where the next incremental pull of one connector starts, and when a census last ran."""

    __tablename__ = "cursors"
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    cursor: Mapped[datetime | None]
    pulls: Mapped[int] = mapped_column(Integer, default=0)
    census_at: Mapped[datetime | None]
    last_success: Mapped[datetime | None]
    state: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Run(Base):
    __tablename__ = "runs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))
    started: Mapped[datetime]
    finished: Mapped[datetime | None]
    ok: Mapped[bool | None]
    items: Mapped[int] = mapped_column(Integer, default=0)
    requests: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)


class SyncError(Base):
    """A problem worth showing: a quarantined payload, a failed pull or push, a warning."""

    __tablename__ = "sync_errors"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(64))
    source: Mapped[str | None] = mapped_column(String(64))
    external_id: Mapped[str | None] = mapped_column(String(128))
    kind: Mapped[str] = mapped_column(String(16))  # quarantine | pull | push | warning
    message: Mapped[str] = mapped_column(Text)
    payload: Mapped[str | None] = mapped_column(Text)
    at: Mapped[datetime]
    resolved: Mapped[bool] = mapped_column(Boolean, default=False)


class BaselineRow(Base):
    __tablename__ = "baselines"
    __table_args__ = (UniqueConstraint("client", "version", name="uq_baseline_version"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(64))
    version: Mapped[int] = mapped_column(Integer)
    label: Mapped[str] = mapped_column(String(200))
    source_file: Mapped[str] = mapped_column(Text)
    digest: Mapped[str] = mapped_column(String(64))
    created: Mapped[datetime]
    data: Mapped[dict[str, Any]]


class Snapshot(Base):
    __tablename__ = "snapshots"
    __table_args__ = (UniqueConstraint("client", "as_of", name="uq_snapshot_day"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    client: Mapped[str] = mapped_column(String(64))
    as_of: Mapped[date]
    baseline_version: Mapped[int] = mapped_column(Integer)
    created: Mapped[datetime]
    status_hash: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]]
    # What the reconcile that stored it read and decided (`pipeline.reconcile_if_changed`):
    # the digest of its inputs, its push digest and targets. None: stored without them.
    outcome: Mapped[dict[str, Any] | None]


class Job(Base):
    """A unit of work committed before its message is sent: pull, reconcile, push, webhook.

    state: pending → leased → done | dead. A sweeper re-sends rows whose lease ran out.
    """

    __tablename__ = "jobs"
    __table_args__ = (
        UniqueConstraint("dedupe", name="uq_jobs_dedupe"),
        Index("ix_jobs_state_due", "state", "due_at"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    kind: Mapped[str] = mapped_column(String(16))
    client: Mapped[str] = mapped_column(String(64))
    target: Mapped[str | None] = mapped_column(String(200))
    dedupe: Mapped[str | None] = mapped_column(String(200))
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    state: Mapped[str] = mapped_column(String(16), default="pending")
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    max_attempts: Mapped[int] = mapped_column(Integer, default=5)
    due_at: Mapped[datetime]
    lease_until: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime]
    updated: Mapped[datetime]


class PushState(Base):
    """What syncd last wrote to one target, and the remote ids it wrote to (comment, card)."""

    __tablename__ = "push_state"
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    target: Mapped[str] = mapped_column(String(200), primary_key=True)
    remote: Mapped[dict[str, Any]] = mapped_column(default=dict)
    body_hash: Mapped[str | None] = mapped_column(String(64))
    pushed_at: Mapped[datetime | None]


class Schedule(Base):
    """When each client's next pull is due; `owner`/`lease_until` elect the one scheduler."""

    __tablename__ = "schedule"
    __table_args__ = (Index("ix_schedule_due", "due_at"),)
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    due_at: Mapped[datetime | None]
    owner: Mapped[str | None] = mapped_column(String(64))
    lease_until: Mapped[datetime | None]


class Token(Base):
    """A dashboard/API token's digest; ids are never handed out twice, even after a revoke."""

    __tablename__ = "tokens"
    __table_args__ = {"sqlite_autoincrement": True}  # PostgreSQL's sequence never reuses either
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    digest: Mapped[str] = mapped_column(String(64), unique=True)
    client: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(100), default="")
    created: Mapped[datetime]


class OAuthGrant(Base):
    """The newest refresh token of an OAuth grant (connectors may share one): Atlassian rotates
    it on every use, so the one in the environment stops working after the first refresh."""

    __tablename__ = "oauth_grants"
    grant: Mapped[str] = mapped_column(String(64), primary_key=True)  # `Grant.key`
    refresh_token: Mapped[str] = mapped_column(Text)
    rotated: Mapped[datetime]


class Webhook(Base):
    __tablename__ = "webhooks"
    client: Mapped[str] = mapped_column(String(64), primary_key=True)
    source: Mapped[str] = mapped_column(String(64), primary_key=True)
    remote_id: Mapped[str] = mapped_column(String(128))
    callback: Mapped[str] = mapped_column(Text)
    expires: Mapped[datetime | None]


class WebhookDigest(Base):
    """A webhook body already taken into the inbox, by digest: a signed body sent again under a
    new delivery id is still a repeat. Expires with the inbox rows (`inbox.expire`)."""

    __tablename__ = "webhook_digests"
    __table_args__ = (Index("ix_webhook_digests_seen", "seen"),)
    key: Mapped[str] = mapped_column(String(200), primary_key=True)
    seen: Mapped[datetime]


class RateWindow(Base):
    """One credential's request times (the server's epoch seconds) in its rolling window, for
    every process of the deployment (`syncd.budget_shared.PostgresBudget`). UNLOGGED on
    PostgreSQL: the windows last seconds."""

    __tablename__ = "rate_windows"
    key: Mapped[str] = mapped_column(String(80), primary_key=True)
    stamps: Mapped[list[float]] = mapped_column(JSON)


class Delivery(Base):
    """One delivery of the communication plan, keyed by client, entry and status date.

    state: queued → sending → sent; `sending` is committed before the message leaves, so a
    row still `sending` when a worker takes it again may have gone out (it becomes
    `unconfirmed` and is not sent again on its own); a send refused before it left is `queued`.
    """

    __tablename__ = "deliveries"
    __table_args__ = (
        UniqueConstraint("key", name="uq_deliveries_key"),
        Index("ix_deliveries_client", "client", "created"),
    )
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200))
    client: Mapped[str] = mapped_column(String(64))
    entry: Mapped[str] = mapped_column(String(64))
    status_date: Mapped[date]
    channel: Mapped[str] = mapped_column(String(16))
    form: Mapped[str] = mapped_column(String(16))
    reason: Mapped[str] = mapped_column(String(200))
    audience: Mapped[list[str]] = mapped_column(JSON)
    state: Mapped[str] = mapped_column(String(16))
    message_id: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str | None] = mapped_column(Text)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    error: Mapped[str | None] = mapped_column(Text)
    created: Mapped[datetime]
    sending_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]


class Feedback(Base):
    """A client's answer to one report's feedback link: one per delivery."""

    __tablename__ = "feedback"
    __table_args__ = (UniqueConstraint("delivery", name="uq_feedback_delivery"),)
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    delivery: Mapped[str] = mapped_column(String(200))
    client: Mapped[str] = mapped_column(String(64))
    status_date: Mapped[date]
    score: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime]


class SigningKey(Base):
    """A random key the deployment signs links with (feedback), shared by all its processes."""

    __tablename__ = "signing_keys"
    name: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[str] = mapped_column(String(128))


metadata = Base.metadata
log = logging.getLogger(__name__)
PRIVATE_DIR = 0o700
PRIVATE_FILE = 0o600


def _sqlite_pragmas(dbapi_conn: Any, _record: Any) -> None:
    cur = dbapi_conn.cursor()
    cur.execute("PRAGMA journal_mode=WAL")
    cur.execute("PRAGMA synchronous=NORMAL")
    cur.execute("PRAGMA busy_timeout=30000")
    cur.execute("PRAGMA foreign_keys=ON")
    cur.close()


def _json_dumps(value: Any) -> str:
    """JSON columns through orjson: dicts, and frozen model values (dataclasses) as they are."""
    return orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS).decode()


def private_sqlite(path: Path) -> None:
    """Make a SQLite database private to this user: missing folders are made 0700, the
    database and its -wal and -shm files are 0600 (SQLite gives those two the database's mode).

    They hold rotated OAuth refresh tokens. A folder that was already there keeps its mode (it
    may be a home directory); a warning says when others can list it.
    """
    missing = [folder for folder in (path.parent, *path.parent.parents) if not folder.exists()]
    for folder in reversed(missing):
        folder.mkdir(mode=PRIVATE_DIR, exist_ok=True)
        folder.chmod(PRIVATE_DIR)  # the umask may have taken bits away, never added them
    if not path.exists():
        os.close(os.open(path, os.O_WRONLY | os.O_CREAT, PRIVATE_FILE))
    for file in (path, path.with_name(path.name + "-wal"), path.with_name(path.name + "-shm")):
        if file.exists() and file.stat().st_mode & 0o077:
            try:
                file.chmod(PRIVATE_FILE)
            except PermissionError:  # another user's file: say so, the store still opens
                log.warning("%s is open to other users and not ours to chmod", file)
    if not missing and path.parent.stat().st_mode & 0o077:
        log.warning("the database folder %s is open to other users: chmod 700 it", path.parent)


PING_AFTER_IDLE = 5.0  # seconds a pooled connection may rest and still be used without a ping


def make_engine(url: str, *, ping_after_idle: float = PING_AFTER_IDLE) -> Engine:
    """An engine for `url`; SQLite files get WAL mode and a busy timeout, and are private.

    A pooled connection that rested longer than `ping_after_idle` seconds is pinged before use
    and replaced when it is gone (a restarted server, an idle timeout on the way). SQLAlchemy's
    `pool_pre_ping` pinged on every checkout: a round trip before each of the ~80 transactions a
    client's cycle opens, 0.15 ms of CPU each on PostgreSQL, for connections used a moment ago.
    """
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url.removeprefix("postgresql://")
    if url.startswith("sqlite:///") and not url.startswith("sqlite:///:memory:"):
        path = Path(url.removeprefix("sqlite:///").partition("?")[0])
        try:
            private_sqlite(path)
        except OSError as exc:
            raise ConfigError(f"{path} › database file: cannot create it: {exc.strerror}") from exc
    try:
        engine = create_engine(url, json_serializer=_json_dumps, json_deserializer=orjson.loads)
    except (ArgumentError, ImportError) as exc:
        raise ConfigError(
            f"settings › database_url: {exc} (a postgresql:// or sqlite:/// URL)"
        ) from exc
    if engine.dialect.name == "sqlite":
        event.listen(engine, "connect", _sqlite_pragmas)
    _ping_when_idle(engine, ping_after_idle)
    return engine


def _ping_when_idle(engine: Engine, idle: float) -> None:
    """Ping a connection on checkout when it rested more than `idle` seconds since its last
    use (or its making); a failed ping makes the pool replace it (`DisconnectionError`)."""

    def rested(_dbapi: Any, record: Any) -> None:
        record.info[_RESTS_SINCE] = time.monotonic()

    def checkout(dbapi: Any, record: Any, _proxy: Any) -> None:
        since = record.info.get(_RESTS_SINCE)
        if since is not None and time.monotonic() - since <= idle:
            return
        try:
            engine.dialect.do_ping(dbapi)
        except engine.dialect.loaded_dbapi.Error as exc:
            raise DisconnectionError(f"a pooled connection is gone: {exc}") from exc

    event.listen(engine, "connect", rested)
    event.listen(engine, "checkin", rested)
    event.listen(engine, "checkout", checkout)


_RESTS_SINCE = "syncd_rests_since"
