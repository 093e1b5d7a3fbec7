"""`syncd comms`: the communication plan of a client — what goes out next, send one now, the log.

Plain functions with typer annotations; `syncd.cli` registers them.
"""

from __future__ import annotations

import json
from datetime import date
from typing import TYPE_CHECKING, Annotated

import typer

from syncd.errors import ConfigError
from syncd.terminal import printable

if TYPE_CHECKING:
    from syncd.clients import Client
    from syncd.runtime import Runtime

ClientArg = Annotated[str, typer.Argument(help="client id (its file name)")]


def _runtime() -> Runtime:
    from syncd.cli.options import runtime

    return runtime()


def _newest(rt: Runtime, client: Client) -> date:
    from syncd.store import sessions
    from syncd.store.snapshots import newest_status_date

    with sessions(rt.engine)() as session:
        day = newest_status_date(session, client.id)
    if day is None:
        raise ConfigError(
            f"comms › {client.id}: no status yet; `syncd reconcile {client.id}` measures one"
        )
    return day


def comms_list(client: ClientArg) -> None:
    """Each entry of the plan: channel, audience, when it goes out next, its last delivery."""
    from zoneinfo import ZoneInfo

    from syncd.comms.due import next_time
    from syncd.model import utcnow
    from syncd.store.comms import deliveries

    rt = _runtime()
    target = rt.client(client)
    if not target.config.communication:
        typer.echo(f"{client}: no [[communication]] entries", err=True)
        return
    log = deliveries(rt.engine, client, limit=500)
    zone = ZoneInfo(target.config.timezone)
    for entry in target.config.communication:
        when = next_time(target, entry, utcnow())
        upcoming = f"next {when.astimezone(zone):%a %Y-%m-%d %H:%M %Z}" if when else "on event"
        last = next((d for d in log if d.entry == entry.id), None)
        done = f"last {last.status_date} {last.state}" if last else "never sent"
        who = ", ".join(entry.audience) or (entry.webhook_env or "")
        typer.echo(
            printable(
                f"{entry.id}\t{entry.channel}\t{entry.form}\t{entry.when}\t{upcoming}\t{done}\t{who}"
            )
        )


def comms_send(
    client: ClientArg,
    entry: Annotated[str, typer.Argument(help="the entry's id in [[communication]]")],
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show it, send nothing")] = False,
    resend: Annotated[
        bool, typer.Option("--resend", help="send again a delivery already sent or unconfirmed")
    ] = False,
) -> None:
    """Send one entry now for the newest status date (once: a delivery sent before is not sent
    again without --resend)."""
    from syncd.comms import delivery
    from syncd.store.comms import get_delivery

    rt = _runtime()
    target = rt.client(client)
    chosen = delivery.entry_of(target, entry)
    day = _newest(rt, target)
    if dry_run:
        _show(rt, target, chosen, day)
        return
    key = delivery.key_of(client, entry, day)
    job_id = delivery.request(rt.engine, target, chosen, day, reason="sent by hand")
    if job_id is None and resend:
        job_id = delivery.resend(rt.engine, key)
    if job_id is None:
        row = get_delivery(rt.engine, key)
        state = row.state if row else "unknown"
        typer.echo(f"{key}: already {state}; --resend sends it again", err=True)
        raise typer.Exit(1 if state != "sent" else 0)
    _run(rt, job_id, key)


def _run(rt: Runtime, job_id: int, key: str) -> None:
    import dramatiq

    from syncd import actors
    from syncd.store.comms import get_delivery
    from syncd.store.work import JobKind

    try:
        actors.execute(JobKind.DELIVER, job_id)
    except (dramatiq.Retry, *actors.PERMANENT):
        pass  # the delivery row holds the outcome
    row = get_delivery(rt.engine, key)
    if row is None or row.state != "sent":
        why = (row.error or row.state) if row else "no delivery"
        typer.echo(printable(f"error: {key}: not sent: {why}"), err=True)
        raise typer.Exit(1)
    typer.echo(printable(f"sent {key} ({row.channel}) to {', '.join(row.audience)}"))


def _show(rt: Runtime, client: Client, entry: object, day: date) -> None:
    from syncd.comms import compose
    from syncd.comms.config import CommunicationEntry
    from syncd.comms.delivery import key_of
    from syncd.model import utcnow
    from syncd.reports import client_info
    from syncd.status import load_status

    assert isinstance(entry, CommunicationEntry)
    status = load_status(rt.engine, client_info(client, public_url=rt.settings.public_url), day)
    if entry.channel != "email":
        body = compose.chat_message(status, entry, reason="sent by hand")
        typer.echo(printable(json.dumps(body.body, indent=2, ensure_ascii=False)))
        return
    sender = rt.settings.smtp_from
    mail = compose.email(
        status, entry, key=key_of(client.id, entry.id, day), sender=sender, now=utcnow()
    )
    msg = mail.message
    typer.echo(printable(f"To: {msg['To']}\nSubject: {msg['Subject']}"))
    for part in msg.iter_attachments():
        typer.echo(printable(f"Attachment: {part.get_filename()} ({part.get_content_type()})"))
    plain = msg.get_body(preferencelist=("plain",))
    if plain is not None:
        typer.echo(printable("\n" + str(plain.get_content())))


def comms_log(client: ClientArg, limit: Annotated[int, typer.Option(min=1)] = 30) -> None:
    """What was sent to whom and when, newest first."""
    from syncd.store.comms import deliveries

    rt = _runtime()
    rt.client(client)
    for row in deliveries(rt.engine, client, limit=limit):
        at = row.sent_at or row.created
        typer.echo(
            printable(
                f"{at:%Y-%m-%d %H:%M}Z\t{row.entry}\t{row.status_date}\t{row.state}\t"
                f"{row.channel}\t{', '.join(row.audience)}\t{row.reason}"
                + (f"\t{row.error}" if row.error else "")
            )
        )
