"""The `syncd` command. Library code raises; only this module chooses exit codes."""

from __future__ import annotations

import logging
import sys
from pathlib import Path
from typing import Annotated

import typer
from rich.console import Console

from syncd.errors import ConfigError, SyncdError
from syncd.settings import Settings, load_settings

app = typer.Typer(
    help="syncd: sync Jira and Trello with a client's baseline plan.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")

out = Console(highlight=False)
err = Console(stderr=True, highlight=False)

ConfigDirOpt = Annotated[
    Path | None, typer.Option("--config-dir", help="directory holding clients/ (SYNCD_CONFIG_DIR)")
]


def settings(config_dir: Path | None = None) -> Settings:
    overrides = {"config_dir": config_dir} if config_dir is not None else {}
    return load_settings(**overrides)


@app.command()
def check(config_dir: ConfigDirOpt = None) -> None:
    """Validate every client file; print each problem as `file › field: message`."""
    from syncd.clients import load_clients

    cfg = settings(config_dir)
    clients, problems = load_clients(cfg.clients_dir)
    if problems:
        raise ConfigError(problems)
    out.print(
        f"{len(clients)} client(s) OK in {cfg.clients_dir}: {', '.join(c.id for c in clients)}"
    )


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to the configured database."""
    from syncd.db import make_engine
    from syncd.migrate import upgrade

    cfg = settings()
    engine = make_engine(cfg.db_url)
    upgrade(engine)
    out.print(f"database at revision head ({engine.url.render_as_string(hide_password=True)})")


def main() -> None:
    """Entry point: run the app, turn syncd errors into messages and exit codes."""
    logging.basicConfig(
        level=logging.INFO if "-v" in sys.argv else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        app()
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(problem, markup=False)
        sys.exit(2)
    except SyncdError as exc:
        err.print(f"error: {exc}", markup=False)
        sys.exit(1)
