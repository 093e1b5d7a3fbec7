"""The `syncd` command. Library code raises; only this module chooses exit codes."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console

from syncd.cli.options import parse_as_of, settings
from syncd.cli.options import runtime as _runtime
from syncd.errors import ConfigError, SyncdError
from syncd.terminal import printable

if TYPE_CHECKING:
    from syncd.clients import Client
    from syncd.db import BaselineRow
    from syncd.model import Failure
    from syncd.plan.result import Reconciliation
    from syncd.runtime import Runtime
    from syncd.settings import Settings
    from syncd.store.jobs import Replayed

app = typer.Typer(
    help="syncd: sync Jira and Trello with a client's baseline plan.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
db_app = typer.Typer(help="Database schema.", no_args_is_help=True)
app.add_typer(db_app, name="db")


class Terminal(Console):
    """A console for text syncd did not write (tracker data, plan names, error messages): no
    `:emoji:` codes, and control characters shown as U+FFFD instead of acted on."""

    def __init__(self, *, stderr: bool = False) -> None:
        super().__init__(stderr=stderr, highlight=False, emoji=False)

    def print(self, *objects: Any, **options: Any) -> None:
        super().print(*(printable(o) if isinstance(o, str) else o for o in objects), **options)


out = Terminal()
err = Terminal(stderr=True)

ConfigDirOpt = Annotated[
    Path | None, typer.Option("--config-dir", help="directory holding clients/ (SYNCD_CONFIG_DIR)")
]


LogLevelOpt = Annotated[
    str | None,
    typer.Option(
        "--log-level",
        metavar="LEVEL",
        help="DEBUG, INFO, WARNING, ERROR or CRITICAL (SYNCD_LOG_LEVEL; default INFO)",
    ),
]
VerboseOpt = Annotated[
    bool, typer.Option("--verbose", "-v", help="log at DEBUG (same as --log-level DEBUG)")
]
LOG_OPTIONS = ("--log-level", "--verbose", "-v")


@app.callback()
def logging_options(log_level: LogLevelOpt = None, verbose: VerboseOpt = False) -> None:
    """Options of every command (also accepted after the command's name)."""
    start_logging(log_level, verbose=verbose)


def start_logging(level: str | None, *, verbose: bool) -> None:
    """Log at `level`, else DEBUG when verbose, else SYNCD_LOG_LEVEL; SYNCD_LOG_FORMAT's format.
    Settings that do not load leave INFO text lines: the command reports them itself."""
    from syncd import logs
    from syncd.settings import load_settings

    try:
        cfg = load_settings()
        configured, as_json = cfg.log_level, cfg.log_format == "json"
    except ConfigError:
        configured, as_json = "INFO", False
    try:
        logs.configure(level or ("DEBUG" if verbose else configured), json=as_json)
    except ValueError as exc:
        raise typer.BadParameter(str(exc), param_hint="--log-level") from None


def hoist_log_options(argv: list[str]) -> list[str]:
    """`argv` with the logging options moved before the command, where the root app reads
    them: `syncd sync acme -v` is `syncd -v sync acme`. Left alone after `--` and for
    `syncd sandbox`, which passes its arguments on."""
    end = argv.index("--") if "--" in argv else len(argv)
    front: list[str] = []
    rest: list[str] = []
    i = 0
    while i < end:
        arg = argv[i]
        if arg in LOG_OPTIONS or arg.startswith("--log-level="):
            takes_value = arg == "--log-level" and i + 1 < end
            front += argv[i : i + 1 + takes_value]
            i += 1 + takes_value
            continue
        if arg == "sandbox" and not rest:
            return argv
        rest.append(arg)
        i += 1
    return front + rest + argv[end:]


OnlineOpt = Annotated[
    bool,
    typer.Option(
        "--online",
        help="also ask each tool, read-only, whether credentials, site, board, JQL, fields,"
        " lists and status targets work",
    ),
]


@app.command()
def check(config_dir: ConfigDirOpt = None, online: OnlineOpt = False) -> None:
    """Validate every client file and its plan; print each problem as `file › field: message`.
    With --online, one line per check a tool answered; exit 2 on any problem or red line."""
    from syncd.check.offline import check_clients

    cfg = settings(config_dir)
    clients, problems = check_clients(cfg.clients_dir)
    red = _check_online(cfg, clients) if online else 0
    if problems:
        raise ConfigError(problems)
    if red:
        err.print(f"{red} online check(s) failed", markup=False)
        raise typer.Exit(2)
    out.print(
        f"{len(clients)} client(s) OK in {cfg.clients_dir}: {', '.join(c.id for c in clients)}"
    )


def _check_online(cfg: Settings, clients: list[Any]) -> int:
    """Print each online finding green ✓ or red ✗; the number of red ones."""
    from rich.text import Text

    from syncd import redact
    from syncd.check.online import check_online, grant_keeper

    lines = check_online(clients, keeper=grant_keeper(cfg, clients))
    for line in lines:
        mark, style = ("✓", "green") if line.finding.ok else ("✗", "red")
        out.print(
            Text.assemble((mark, style), " ", printable(redact.text(line.text))), soft_wrap=True
        )
    return sum(not line.finding.ok for line in lines)


@db_app.command("upgrade")
def db_upgrade() -> None:
    """Apply every pending migration to the configured database."""
    from syncd.db import make_engine
    from syncd.migrate import upgrade

    cfg = settings()
    engine = make_engine(cfg.db_url)
    upgrade(engine)
    out.print(f"database at revision head ({engine.url.render_as_string(hide_password=True)})")


plan_app = typer.Typer(
    help="Baseline plans: import a new version, show what is stored.", no_args_is_help=True
)
app.add_typer(plan_app, name="plan")
dlq_app = typer.Typer(help="Dead letters: jobs that failed for good.", no_args_is_help=True)
app.add_typer(dlq_app, name="dlq")


@plan_app.command("import")
def plan_import(
    client: Annotated[str, typer.Argument(help="client id (its file name)")],
    file: Annotated[
        Path | None, typer.Argument(help="plan file; default: the client's [plan]")
    ] = None,
    baseline: Annotated[int | None, typer.Option(help="MS Project baseline number 0-10")] = None,
    config_dir: ConfigDirOpt = None,
) -> None:
    """Import a plan as a new baseline version (an identical plan adds none)."""
    from syncd.pipeline import import_plan

    rt = _runtime(config_dir)
    version, created, plan = import_plan(rt.engine, rt.client(client), file, baseline=baseline)
    state = "new baseline" if created else "unchanged; still baseline"
    out.print(
        f"{client}: {state} v{version} · {len(plan.tasks)} tasks · BAC {plan.bac:,.1f} {plan.unit}"
    )
    for note in plan.notes:
        out.print(f"  note: {note}", markup=False)


@plan_app.command("show")
def plan_show(
    client: Annotated[str, typer.Argument(help="client id")],
    version: Annotated[int | None, typer.Option(help="baseline version; default newest")] = None,
    config_dir: ConfigDirOpt = None,
) -> None:
    """Print the stored baseline versions and the tasks of one."""
    from rich.table import Table
    from rich.text import Text

    from syncd.plan import Baseline
    from syncd.store.baselines import list_baselines

    rt = _runtime(config_dir)
    rows = list_baselines(rt.engine, client)
    if not rows:
        raise ConfigError(f"{client} › plan: no baseline stored; run `syncd plan import {client}`")
    for row in rows:
        out.print(
            f"v{row.version}  {row.created:%Y-%m-%d %H:%M}  {row.label}  ({row.source_file})",
            markup=False,
        )
    chosen = rows[-1] if version is None else _stored(rows, client, version)
    plan = Baseline.from_dict(chosen.data)
    table = Table(title=f"{client} baseline v{chosen.version}")
    for col in ("WBS", "task", "start", "finish", f"budget ({plan.unit})", "milestone"):
        table.add_column(col)
    for task in plan.tasks:
        table.add_row(
            Text(printable(task.wbs)),  # plan text: never markup, never a control sequence
            Text(printable(task.name)),
            str(task.start),
            str(task.finish),
            f"{task.budget:,.1f}",
            "◆" if task.milestone else "",
        )
    out.print(table)


def _stored(rows: list[BaselineRow], client: str, version: int) -> BaselineRow:
    """The stored baseline row of `version`; a ConfigError naming the versions that exist."""
    found = next((r for r in rows if r.version == version), None)
    if found is None:
        have = ", ".join(f"v{r.version}" for r in rows) or "none"
        raise ConfigError(f"{client} › plan: no baseline v{version} stored (stored: {have})")
    return found


@plan_app.command("diff")
def plan_diff(
    client: Annotated[str, typer.Argument(help="client id")],
    old: Annotated[int, typer.Argument(help="the earlier baseline version, e.g. 1")],
    new: Annotated[int, typer.Argument(help="the later baseline version, e.g. 2")],
    config_dir: ConfigDirOpt = None,
) -> None:
    """Show what changed between two stored baselines: tasks, dates, budgets, links."""
    from syncd.plan import Baseline
    from syncd.plan.diff import diff_baselines
    from syncd.plan.reconcile import calendar_for
    from syncd.store.baselines import list_baselines

    rt = _runtime(config_dir)
    target = rt.client(client)
    rows = list_baselines(rt.engine, client)
    a, b = (Baseline.from_dict(_stored(rows, client, v).data) for v in (old, new))
    diff = diff_baselines(a, b, calendar_for(b, target.mapping))
    out.print(f"{client}: baseline v{old} → v{new}", markup=False)
    for line in diff.lines() or ["no differences"]:
        out.print(line, markup=False, soft_wrap=True)


@dlq_app.command("list")
def dlq_list(
    client: Annotated[str | None, typer.Option(help="only this client")] = None,
    config_dir: ConfigDirOpt = None,
) -> None:
    """List dead letters, newest first, then the failures they make: a target's dead pushes
    are one, which `syncd dlq replay` (any of their ids) replays once, by the newest status."""
    from syncd import redact
    from syncd.store import jobs

    rt = _runtime(config_dir)
    dead = jobs.list_dead(rt.engine, client)
    for job in dead:
        out.print(
            f"{job.id}\t{job.kind}\t{job.client}\t{job.target or ''}\t"
            f"{job.attempts} attempt(s)\t{redact.text(job.last_error or '')}",
            markup=False,
            soft_wrap=True,  # one line per job, for grep and cut
        )
    found = jobs.failures(rt.engine, client)
    out.print(f"{len(dead)} dead letter(s), {len(found)} failure(s)")
    for failure in found:
        if failure.failed > 1:
            out.print(_failing_target(failure), markup=False, soft_wrap=True)


def _failing_target(failure: Failure) -> str:
    """A target whose dead letters are one failure: how many, since when, what replays it."""
    first, last = (f"{t:%Y-%m-%d %H:%M}" if t else "?" for t in (failure.first_at, failure.last_at))
    return (
        f"{failure.client}\t{failure.kind} to {failure.target}: {failure.failed} dead letters,"
        f" {first} to {last}; `syncd dlq replay {failure.job_id}` sends the newest once"
        " and sets the others aside"
    )


@dlq_app.command("replay")
def dlq_replay(
    job_id: Annotated[int | None, typer.Argument(help="dead letter id")] = None,
    all_: Annotated[bool, typer.Option("--all", help="replay every dead letter")] = False,
    config_dir: ConfigDirOpt = None,
) -> None:
    """Make dead letters pending again; the daemon picks them up. A dead push replays its
    target: its newest status is queued once, the older dead pushes there are set aside."""
    from syncd.store import jobs

    if (job_id is None) == (not all_):
        raise ConfigError("dlq replay › arguments: give a job id or --all, not both")
    rt = _runtime(config_dir)
    if all_:
        done = jobs.replay_all(rt.engine)
        queued = sum(r.queued is not None for r in done)
        aside = sum(len(r.set_aside) for r in done)
        out.print(
            f"{queued} dead letter(s) replayed, {aside} older push(es) of their targets set aside"
        )
        return
    assert job_id is not None
    replayed = jobs.replay_job(rt.engine, job_id)
    if replayed is None:
        raise ConfigError(f"dlq replay › {job_id}: no dead letter with that id")
    out.print(f"dead letter {job_id} replayed{_replayed(replayed, job_id)}")


def _replayed(replayed: Replayed, job_id: int) -> str:
    """What a replay did besides queueing the job named, if anything."""
    aside = len(replayed.set_aside)
    if replayed.queued is None:
        return (
            f": a newer push of its target is queued already; its {aside} dead push(es) set aside"
        )
    older = f", {aside} older push(es) of its target set aside" if aside else ""
    if replayed.queued != job_id:
        return f": its target's newest push, job {replayed.queued}, is queued{older}"
    return older


@app.command()
def run(
    config_dir: ConfigDirOpt = None,
    threads: Annotated[int, typer.Option(help="worker threads in this process")] = 4,
) -> None:
    """Run the daemon: scheduler, web server and workers, until SIGTERM or SIGINT."""
    from syncd import daemon

    cfg = settings(config_dir)
    daemon.run(cfg, threads=threads, on_ready=lambda url: out.print(f"syncd running at {url}"))


@app.command()
def worker(
    config_dir: ConfigDirOpt = None,
    threads: Annotated[int, typer.Option(help="worker threads")] = 4,
) -> None:
    """Run extra workers on the shared broker (SYNCD_BROKER_URL redis:// or amqp://)."""
    from syncd import daemon

    daemon.work(settings(config_dir), threads=threads)


@app.command(
    context_settings={"allow_extra_args": True, "ignore_unknown_options": True},
    add_help_option=False,
)
def sandbox(ctx: typer.Context) -> None:
    """Start the local Jira + Trello sandbox (see `syncd sandbox --help`)."""
    from syncd.sandbox.__main__ import main as sandbox_main

    raise typer.Exit(sandbox_main(list(ctx.args)))


ClientArg = Annotated[str, typer.Argument(help="client id (its file name)")]
AsOfOpt = Annotated[
    str | None, typer.Option("--as-of", help="status date YYYY-MM-DD; default today")
]


@app.command()
def sync(client: ClientArg, config_dir: ConfigDirOpt = None) -> None:
    """Pull every connector of a client now (with progress), then reconcile it.

    Every connector is pulled even when one fails; the exit code is 1 when any failed or
    quarantined everything it pulled, each named on stderr with the reason. As in the daemon,
    the client is reconciled when at least one pull succeeded.
    """
    rt = _runtime(config_dir)
    target = rt.client(client)
    failures, pulled = _pull_all(rt, target)
    if not pulled:
        out.print(f"{client}: no connector pulled; not reconciled")
    else:
        queued: list[Any] = []
        said: list[str] = []
        if target.config.plan:
            from syncd.pipeline import reconcile_client, store_and_queue  # only with a plan
            from syncd.reports.summary import warning_lines

            rec, snapshot, items = reconcile_client(rt.engine, target)
            url = rt.settings.public_url
            queued = store_and_queue(rt.engine, target, rec, snapshot, items, public_url=url)
            said = warning_lines(rec)
        out.print(f"{client}: synced; {len(queued)} push(es) queued")
        for line in said:  # the data warnings stored with the snapshot
            out.print(line, markup=False)
    for failure in failures:
        err.print(f"error: {failure}", markup=False, soft_wrap=True)
    if failures:
        raise typer.Exit(1)


def _pull_all(rt: Runtime, target: Client) -> tuple[list[str], int]:
    """Pull each connector of `target` with a progress line: (what went wrong, per connector;
    how many pulls succeeded)."""
    import asyncio

    from rich.progress import Progress, SpinnerColumn, TextColumn

    from syncd import sync as syncmod

    failures: list[str] = []
    pulled = 0
    with Progress(SpinnerColumn(), TextColumn("{task.description}"), console=err) as bar:
        for conn in target.config.connectors:
            task = bar.add_task(f"{conn.id}: pulling", total=None)

            def show(stats: syncmod.PullStats, task: Any = task) -> None:
                bar.update(task, description=f"{stats.source}: {stats.items} items")

            try:
                stats = asyncio.run(syncmod.pull(rt.engine, target, conn.id, on_page=show))
            except Exception as exc:  # noqa: BLE001 -- reported; the others still pull
                bar.update(task, description=f"{conn.id}: failed")
                failures.append(f"{conn.id}: pull failed ({type(exc).__name__}): {exc}")
                continue
            pulled += 1
            bar.update(
                task,
                description=f"{conn.id}: {stats.items} items, "
                f"{stats.quarantined} quarantined, {stats.seconds:.1f}s",
            )
            if stats.quarantined and not stats.items:
                failures.append(
                    f"{conn.id}: quarantined all {stats.quarantined} item(s) it pulled "
                    f"(first: {stats.quarantine_error})"
                )
    return failures, pulled


@app.command()
def reconcile(client: ClientArg, as_of: AsOfOpt = None, config_dir: ConfigDirOpt = None) -> None:
    """Reconcile stored items with the baseline and print the summary (stores the snapshot)."""
    from syncd.pipeline import reconcile_client, store_and_queue

    rt = _runtime(config_dir)
    target = rt.client(client)
    day = parse_as_of(as_of)
    rec, snapshot, items = reconcile_client(rt.engine, target, as_of=day)
    queued = store_and_queue(
        rt.engine, target, rec, snapshot, items, public_url=rt.settings.public_url
    )
    _print_reconciliation(client, rec)
    out.print(f"{len(queued)} push(es) queued")


def _print_reconciliation(client: str, rec: Reconciliation) -> None:
    from syncd.reports.summary import summary_lines

    for line in summary_lines(client, rec):
        out.print(line, markup=False)


@app.command()
def push(
    client: ClientArg,
    dry_run: Annotated[bool, typer.Option("--dry-run", help="show what would be written")] = False,
    config_dir: ConfigDirOpt = None,
) -> None:
    """Reconcile, then push the consolidated status to every configured target now.

    Every target is tried; each is reported, and the exit code is 1 if any failed.
    """
    from syncd.pipeline import reconcile_and_queue, reconcile_client, status_push, targets
    from syncd.store import jobs
    from syncd.store.work import JobKind

    rt = _runtime(config_dir)
    target = rt.client(client)
    if dry_run:
        _, snapshot, items = reconcile_client(rt.engine, target)
        status = status_push(rt.engine, target, snapshot, items, public_url=rt.settings.public_url)
        for source, where in targets(target, items):
            out.print(f"--- {source} → {where}", markup=False)
        out.print(status.markdown, markup=False)
        return
    queued = reconcile_and_queue(rt.engine, target, public_url=rt.settings.public_url)
    with_rows = [job_id for kind, job_id in queued if kind == JobKind.PUSH]
    pending = [j.id for j in jobs.pending(rt.engine, client, kind=JobKind.PUSH)]
    results = [_push_one(job_id) for job_id in dict.fromkeys(with_rows + pending)]
    failed = [line for ok, line in results if not ok]
    for ok, line in results:
        (out if ok else err).print(line, markup=False, soft_wrap=True)
    out.print(f"{client}: {len(results) - len(failed)} of {len(results)} target(s) pushed")
    if failed:
        raise typer.Exit(1)


def _push_one(job_id: int) -> tuple[bool, str]:
    """Run one queued push now: (pushed?, a line naming the target and what happened).

    A failure is reported and the next target still runs: a permanent one is a dead letter
    (`syncd dlq`), a transient one stays pending for the daemon to retry.
    """
    import dramatiq

    from syncd import actors
    from syncd.runtime import current
    from syncd.store import jobs
    from syncd.store.jobs import JobState
    from syncd.store.work import JobKind

    try:
        actors.execute(JobKind.PUSH, job_id)
    except (dramatiq.Retry, *actors.PERMANENT):
        pass  # the row holds the outcome, read below
    row = jobs.get(current().engine, job_id)
    if row is None:
        return False, f"push {job_id}: no such job"
    where = row.target or f"job {job_id}"
    if row.state == JobState.DONE:
        return True, f"pushed {where}"
    if row.state == JobState.DEAD:
        return (
            False,
            f"error: {where}: push failed for good (dead letter {job_id}): {row.last_error}",
        )
    if row.state == JobState.PENDING and row.last_error:
        return False, f"error: {where}: push failed for now, retried later: {row.last_error}"
    return False, f"error: {where}: not pushed now ({row.state}; another worker holds it)"


@app.command()
def demo(
    port: Annotated[int, typer.Option(help="dashboard and webhook port")] = 8080,
    sandbox_port: Annotated[int, typer.Option(help="sandbox port (0: any free port)")] = 0,
    tick: Annotated[float, typer.Option(help="seconds between sandbox clock steps (0: off)")] = 30,
    advance_hours: Annotated[float, typer.Option(help="simulated hours per clock step")] = 2,
    directory: Annotated[Path, typer.Option(help="demo data (wiped at start)")] = Path(
        ".data/demo"
    ),
) -> None:
    """Run the whole loop locally: sandbox Jira + Trello, three demo clients, daemon, dashboard."""
    from syncd.demo import DemoOptions
    from syncd.demo import run as run_demo

    options = DemoOptions(
        port=port,
        sandbox_port=sandbox_port,
        tick_seconds=tick,
        advance_hours=advance_hours,
        directory=directory,
    )
    run_demo(options, announce=lambda line: out.print(line, markup=False, soft_wrap=True))


def main() -> None:
    """Entry point: run the app, turn syncd errors into messages and exit codes."""
    from syncd import redact

    try:
        app(args=hoist_log_options(sys.argv[1:]), prog_name="syncd")
    except ConfigError as exc:
        for problem in exc.problems:
            err.print(redact.text(problem), markup=False, soft_wrap=True)
        sys.exit(2)
    except SyncdError as exc:
        err.print(f"error: {redact.text(str(exc))}", markup=False, soft_wrap=True)
        sys.exit(1)


# --- reports & web ---
# Registered here, at the end, so the verbs live in syncd/cli/report.py with their owner.
from syncd.cli.report import report as _report  # noqa: E402 - registration block, see above
from syncd.cli.report import token_create as _token_create  # noqa: E402
from syncd.cli.report import token_list as _token_list  # noqa: E402
from syncd.cli.report import token_revoke as _token_revoke  # noqa: E402

token_app = typer.Typer(help="Access tokens for the dashboard and the API.", no_args_is_help=True)
app.add_typer(token_app, name="token")
app.command("report")(_report)
token_app.command("create")(_token_create)
token_app.command("list")(_token_list)
token_app.command("revoke")(_token_revoke)

# --- the communication plan ---
from syncd.cli.comms import comms_list as _comms_list  # noqa: E402 - registration block
from syncd.cli.comms import comms_log as _comms_log  # noqa: E402
from syncd.cli.comms import comms_send as _comms_send  # noqa: E402

comms_app = typer.Typer(help="The communication plan: who gets which report.", no_args_is_help=True)
app.add_typer(comms_app, name="comms")
comms_app.command("list")(_comms_list)
comms_app.command("send")(_comms_send)
comms_app.command("log")(_comms_log)
