"""Deliveries of the communication plan as durable jobs: once per client, entry and status date.

`request` writes a `deliveries` row (`queued`) and its `deliver` job in one transaction; the
key (``client:entry:status date``) is unique, so asking again for the same delivery does
nothing. `deliver` renders first, then commits `sending`, sends, then commits `sent`:

* a send refused before anything was taken (`NotSentError`) goes back to `queued` and the job
  retries with backoff, then becomes a dead letter (`syncd dlq replay` tries again);
* a worker that finds the row `sending` is looking at a crash between the send and the commit
  (or a connection lost mid-send, `MaybeSentError`): the message may have gone out, so it is
  marked `unconfirmed` and not sent again. `syncd comms send CLIENT ENTRY --resend` sends it once
  more, with the same Message-ID, on an operator's word.

So a delivery is sent at most once on its own, and never silently dropped: every state shows in
the per-client log on the dashboard and in `syncd comms log`.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from typing import TYPE_CHECKING, Any

from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session

from syncd import redact, store
from syncd.clients import Client
from syncd.comms import chat, compose, feedback, mail
from syncd.comms.config import CommunicationEntry
from syncd.errors import ConfigError, MaybeSentError, NotSentError, PermanentError
from syncd.model import utcnow
from syncd.store import jobs
from syncd.store.comms import add_delivery, get_delivery, requeue_delivery, set_delivery
from syncd.store.work import DeliverJob

if TYPE_CHECKING:
    import httpx

    from syncd.settings import Settings

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 6


def key_of(client: str, entry: str, status_date: date) -> str:
    return f"{client}:{entry}:{status_date.isoformat()}"


def entry_of(client: Client, entry_id: str) -> CommunicationEntry:
    for entry in client.config.communication:
        if entry.id == entry_id:
            return entry
    raise ConfigError(f"{client.path.name} › communication: no entry {entry_id!r}")


def queue(
    session: Session,
    client: Client,
    entry: CommunicationEntry,
    status_date: date,
    *,
    reason: str,
) -> int | None:
    """Add the delivery and its job in the caller's transaction; None when it exists already."""
    key = key_of(client.id, entry.id, status_date)
    added = add_delivery(
        session,
        key=key,
        client=client.id,
        entry=entry.id,
        status_date=status_date,
        channel=entry.channel,
        form=entry.form,
        reason=reason,
        audience=list(entry.audience) or [entry.webhook_env or entry.channel],
        message_id=mail.message_id(key),
    )
    if not added:
        return None
    job = jobs.enqueue(
        session,
        DeliverJob(key),
        client.id,
        target=entry.id,
        dedupe=f"deliver:{key}",
        max_attempts=MAX_ATTEMPTS,
    )
    if job is None:
        return None
    session.flush()
    return job.id


def request(
    engine: Engine, client: Client, entry: CommunicationEntry, status_date: date, *, reason: str
) -> int | None:
    """Queue one delivery in its own transaction; the job id, or None when it exists."""
    with store.sessions(engine).begin() as session:
        return queue(session, client, entry, status_date, reason=reason)


@dataclass(frozen=True)
class Channels:
    """How messages leave: the SMTP server, and the HTTP transport for webhooks (tests)."""

    smtp: mail.Smtp | None = None
    transport: httpx.BaseTransport | None = None
    public_url: str = ""


def deliver(
    engine: Engine,
    client: Client,
    key: str,
    *,
    channels: Channels,
    after_send: Callable[[], None] | None = None,
) -> str:
    """Send one delivery unless it was sent (or may have been); returns its state."""
    from syncd.reports import client_info
    from syncd.status import load_status

    row = get_delivery(engine, key)
    if row is None:
        raise PermanentError(f"no delivery {key!r}")
    if row.state == "sent":
        return "sent"
    if row.state in ("sending", "unconfirmed"):
        set_delivery(engine, key, state="unconfirmed")
        raise MaybeSentError(
            f"delivery {key} was being sent when its worker stopped; it may have gone out, so it"
            f" is not sent again (`syncd comms send {client.id} {row.entry} --resend` sends it)"
        )
    entry = entry_of(client, row.entry)
    info = client_info(client, public_url=channels.public_url)
    status = load_status(engine, info, row.status_date)
    send = _sender(engine, client, entry, key, status, channels, reason=row.reason)
    set_delivery(
        engine, key, state="sending", attempts=row.attempts + 1, sending_at=utcnow(), error=None
    )
    try:
        send()
    except NotSentError as exc:
        set_delivery(engine, key, state="queued", error=redact.text(str(exc))[:2000])
        raise
    except MaybeSentError as exc:
        set_delivery(engine, key, state="unconfirmed", error=redact.text(str(exc))[:2000])
        raise
    except Exception as exc:
        set_delivery(engine, key, state="failed", error=redact.text(str(exc))[:2000])
        raise
    if after_send is not None:
        after_send()  # tests: a crash between the send and the commit
    set_delivery(engine, key, state="sent", sent_at=utcnow(), error=None)
    log.info("delivered %s (%s, %s)", key, entry.channel, entry.form)
    return "sent"


def _sender(
    engine: Engine,
    client: Client,
    entry: CommunicationEntry,
    key: str,
    status: Any,
    channels: Channels,
    *,
    reason: str,
) -> Callable[[], None]:
    """Render now (a failure here sends nothing); the returned call only sends."""
    if entry.channel == "email":
        if channels.smtp is None:
            raise ConfigError("settings › SYNCD_SMTP_HOST: no mail server set for e-mail entries")
        smtp = channels.smtp
        link = feedback.link(engine, channels.public_url, key) if entry.feedback else ""
        message = compose.email(
            status, entry, key=key, sender=smtp.sender, now=utcnow(), feedback_url=link
        ).message
        set_delivery(engine, key, subject=str(message["Subject"]))
        return lambda: mail.send(smtp, message)
    url = client.webhooks.get(entry.id)
    if url is None:
        raise ConfigError(f"{client.path.name} › communication: {entry.id} has no webhook URL")
    body = compose.chat_message(status, entry, reason=reason)
    set_delivery(engine, key, subject=body.subject)
    return lambda: chat.post(url.get_secret_value(), body.body, transport=channels.transport)


def resend(engine: Engine, key: str) -> int | None:
    """Send a delivery again on an operator's word, whatever its state: it is queued with a new
    job (the same Message-ID). The job id, or None when the delivery does not exist."""
    with store.sessions(engine).begin() as session:
        row = requeue_delivery(session, key)
        if row is None:
            return None
        job = jobs.enqueue(
            session,
            DeliverJob(key),
            row.client,
            target=row.entry,
            dedupe=f"deliver:{key}",
            max_attempts=MAX_ATTEMPTS,
        )
        session.flush()
        if job is not None:
            return job.id
        return jobs.live_id(session, f"deliver:{key}")


def channels_of(settings: Settings) -> Channels:
    """The channels the process's settings configure."""
    smtp = mail.Smtp.from_settings(settings) if settings.smtp_host else None
    return Channels(smtp=smtp, public_url=settings.public_url)
