"""CLI verbs of the reports and the web: `syncd report` and `syncd token create`.

Plain functions with typer annotations; `syncd.cli` registers them.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date
from enum import StrEnum
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer

from syncd.errors import ConfigError
from syncd.terminal import printable

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from syncd.reports.model import Status
    from syncd.settings import Settings


class ReportFormat(StrEnum):
    HTML = "html"
    MD = "md"
    JSON = "json"
    CSV = "csv"
    REVIEW_PACK = "review-pack"


def _date(value: str | None) -> date | None:
    from syncd.cli.options import parse_as_of

    return parse_as_of(value)


def report(
    client: Annotated[str, typer.Argument(help="client id (its file name)")],
    format: Annotated[
        ReportFormat,
        typer.Option(
            "--format",
            "-f",
            help="html, md, json, csv or review-pack (HTML; with"
            " --out, the next review's invitation is written beside it as .ics)",
        ),
    ] = ReportFormat.HTML,
    as_of: Annotated[
        str | None, typer.Option("--as-of", help="status date YYYY-MM-DD (default: newest)")
    ] = None,
    out: Annotated[Path | None, typer.Option("--out", "-o", help="file (default: stdout)")] = None,
) -> None:
    """Write a client's status report from its stored snapshots."""
    from syncd.clientdir import ClientDirectory
    from syncd.db import make_engine
    from syncd.reports import RENDERERS
    from syncd.settings import load_settings
    from syncd.status import NoSnapshotError, load_status
    from syncd.web.directory import known_clients

    settings = load_settings()
    when = _date(as_of)
    engine = make_engine(settings.db_url)
    try:
        files = ClientDirectory(settings.clients_dir)
        info = known_clients(engine, files, public_url=settings.public_url).get(client)
        if info is None:
            raise ConfigError(f"report › {client}: no such client (no config file, no snapshot)")
        try:
            status = load_status(engine, info, when)
        except NoSnapshotError as exc:
            raise ConfigError(f"report › {client}: {exc}") from None
    finally:
        engine.dispose()
    if when is not None and status.as_of != when:
        typer.echo(
            f"report › {client}: no snapshot on {when}; this is the status of {status.as_of} "
            f"(`syncd reconcile {client} --as-of {when}` measures that day)",
            err=True,
        )
    if format is ReportFormat.REVIEW_PACK:
        text = _review_pack(status, settings, out)
    else:
        text = RENDERERS[format.value](status)
    if out is None:
        typer.echo(printable(text) if sys.stdout.isatty() else text, nl=False)
    else:
        out.write_text(text, encoding="utf-8")
        typer.echo(
            f"{format.value} report of {client} on {status.as_of} written to {out}", err=True
        )


def _review_pack(status: Status, settings: Settings, out: Path | None) -> str:
    """The review pack as HTML; with `out` and a review-pack entry on a cadence in the client's
    plan, its next review's invitation is written beside it (`<out>.ics`)."""
    from syncd.clientdir import ClientDirectory
    from syncd.comms import ics
    from syncd.comms.render import document
    from syncd.model import utcnow

    loaded = ClientDirectory(settings.clients_dir).get(status.client.id)
    entries = loaded.config.communication if loaded else []
    entry = next((e for e in entries if e.form == "review-pack" and e.cron), None)
    if entry is None or entry.cron is None:
        return document(status, review=True)
    now = utcnow()
    start = ics.next_review(entry.cron, status.client.timezone, now)
    if out is not None:
        invite = ics.invitation(
            uid=f"{status.client.id}:{entry.id}:{status.as_of}@syncd.invalid",
            title=f"{status.client.name}: project review",
            start=start,
            stamp=now,
            organizer=settings.smtp_from,
            attendees=entry.audience,
            url=status.client.dashboard_url,
        )
        out.with_suffix(".ics").write_bytes(invite)
    return document(status, review=True, next_review=f"{start:%Y-%m-%d %H:%M} UTC")


def token_create(
    client: Annotated[
        str | None, typer.Option("--client", help="limit the token to this client")
    ] = None,
    name: Annotated[str, typer.Option(help="a note to recognise the token by")] = "",
) -> None:
    """Create an access token for the dashboard and API; it is shown once, only its hash is kept."""
    from syncd.web.auth import create_token

    with _store() as engine:
        token = create_token(engine, client=client, name=name)
    scope = f"client {client}" if client else "every client"
    typer.echo(token)
    typer.echo(f"token for {scope}: keep it now, it cannot be shown again", err=True)


def token_list() -> None:
    """List access tokens: id, scope, note and when each was made (never the token itself)."""
    from syncd.store.tokens import list_tokens

    with _store() as engine:
        rows = list_tokens(engine)
    for row in rows:
        created = row.created.strftime("%Y-%m-%d %H:%M")
        typer.echo(printable(f"{row.id}\t{row.client or '*'}\t{created}\t{row.name}"))
    if not rows:
        typer.echo("no tokens", err=True)


def token_revoke(
    token_id: Annotated[int, typer.Argument(help="the id `syncd token list` shows", min=1)],
) -> None:
    """Revoke an access token: requests carrying it are refused from now on."""
    from syncd.store.tokens import revoke_token

    with _store() as engine:
        found = revoke_token(engine, token_id)
    if not found:
        typer.echo(f"error: no token with id {token_id} (see `syncd token list`)", err=True)
        raise typer.Exit(1)
    typer.echo(f"token {token_id} revoked")


@contextmanager
def _store() -> Iterator[Engine]:
    """The configured store, brought to the newest schema, for one command."""
    from syncd.db import make_engine
    from syncd.migrate import upgrade
    from syncd.settings import load_settings

    engine = make_engine(load_settings().db_url)
    try:
        upgrade(engine)
        yield engine
    finally:
        engine.dispose()
