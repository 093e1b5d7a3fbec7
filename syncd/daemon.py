"""`syncd run` and `syncd worker`: the processes that run syncd unattended.

`run` is scheduler + web + workers in one process (on the embedded default, the only worker);
`worker` is extra workers for a shared broker (Redis or RabbitMQ) on any host.
"""

from __future__ import annotations

import importlib
import logging
import signal
import threading
from collections.abc import Callable
from datetime import datetime, timedelta
from types import FrameType

import uvicorn
from sqlalchemy.engine import Engine

from syncd import actors, queue, runtime, store
from syncd.clientdir import ClientDirectory
from syncd.clients import Client
from syncd.connectors.kinds import Registered
from syncd.connectors.registry import KINDS, kind_of
from syncd.errors import ConfigError
from syncd.migrate import upgrade, wait_for_head
from syncd.scheduler import Scheduler
from syncd.settings import Settings
from syncd.store import jobs, timetable
from syncd.store.grants import GrantKeeper
from syncd.store.problems import record_error
from syncd.store.webhooks import expiring_webhooks, save_webhook
from syncd.web.server import Limits, build_server
from syncd.web.webhooks import Receiver

log = logging.getLogger(__name__)


def release_leases(engine: Engine) -> int:
    """Embedded broker, sole worker: leases held before a restart belong to a dead process."""
    with store.sessions(engine).begin() as session:
        released = jobs.release_leases(session)
        timetable.release_lease(session, "scheduler")
        return released


# What jobs and the web import on first use (one-off commands start faster without them). A
# daemon imports them in its main thread before any worker thread starts: two threads importing
# one package at the same moment can meet it half-initialized (an ImportError in a job, or at
# start: seen as `cannot import name 'push_bodies' from partially initialized module`).
PRELOAD = (
    "syncd.actors",
    "syncd.sync",
    "syncd.pipeline",
    "syncd.reports",
    "syncd.reports.build",
    "syncd.reports.freshness",
    "syncd.status",
    "syncd.store.health",
    "syncd.store.snapshots",
    "syncd.reports.push",
    "syncd.plan",
    "syncd.plan.toml_csv",
    "syncd.plan.mspdi",
    "syncd.plan.xer",
    "syncd.web.app",
    "syncd.comms.delivery",
    "syncd.comms.due",
    "syncd.comms.pdf",
)


def preload() -> None:
    """Import, in this thread, every module a job or the web server imports on first use (the
    connector kinds' own too)."""
    for name in (*PRELOAD, *(name for kind in KINDS.values() for name in kind.preload)):
        importlib.import_module(name)


def run(
    settings: Settings,
    *,
    threads: int = 4,
    tick: float = 1.0,
    on_ready: Callable[[str], None] | None = None,
) -> None:
    """Run scheduler, web server and workers until SIGTERM or SIGINT, then stop cleanly."""
    rt = runtime.install(runtime.load(settings))
    upgrade(rt.engine)
    broker = queue.setup(settings.broker_url, settings.queue_name, actors.declare)
    if settings.broker_url in ("", "embedded"):
        released = release_leases(rt.engine)
        log.info("embedded broker: %d unfinished job(s) will be sent again", released)
    preload()
    worker = queue.start_worker(broker, threads=threads)
    host, port = settings.host_port
    base_url = settings.webhook_base_url or f"http://{host}:{port}"

    def added(clients: list[Client]) -> None:
        if settings.webhook_base_url:
            threading.Thread(
                target=register_webhooks,
                args=(rt, base_url, clients),
                name="syncd-webhooks",
                daemon=True,
            ).start()

    log.info("%d client(s) loaded: %s", len(rt.clients), ", ".join(rt.clients) or "none")
    scheduler = Scheduler(
        rt.engine,
        rt.clients,
        queue.send,
        tick=tick,
        upkeep=(lambda: extend_webhooks(rt)) if settings.webhook_base_url else None,
        inbox_retention=timedelta(days=settings.webhook_retention_days),
        on_added=added,
        clock=rt.clock,
    )
    scheduler.start()
    receiver = Receiver(rt.engine, rt.clients, queue.dispatch, base_url=base_url)
    from syncd.web.app import create_app

    app = create_app(
        engine=rt.engine,
        settings=settings,
        extra_routes=receiver.routes(),
        broker_check=lambda: queue.ping(broker),
        clients=rt.clients if isinstance(rt.clients, ClientDirectory) else None,
    )
    from syncd.web.directory import known_clients
    from syncd.web.triage import warm

    if isinstance(rt.clients, ClientDirectory):
        infos = known_clients(rt.engine, rt.clients, public_url=settings.public_url)
        threading.Thread(target=warm, args=(rt.engine, infos), name="warm", daemon=True).start()
    limits = Limits(
        header_timeout=settings.http_header_timeout,
        body_timeout=settings.http_body_timeout,
        max_connections=settings.http_max_connections,
    )
    server = build_server(app, host, port, limits)

    def ready(url: str) -> None:
        if settings.webhook_base_url:
            threading.Thread(
                target=register_webhooks, args=(rt, base_url), name="syncd-webhooks", daemon=True
            ).start()
        if on_ready is not None:
            on_ready(url)

    _announce(server, settings, ready)
    reload_on_hangup(rt)
    for sig in (signal.SIGTERM, signal.SIGINT):
        # uvicorn stops gracefully on these, then re-raises them to the handler it found:
        # this one, so that a clean shutdown ends with exit status 0.
        signal.signal(sig, _after_shutdown)
    try:
        server.run()
    finally:
        scheduler.stop()
        worker.stop()
        scheduler.join(timeout=5)
        rt.engine.dispose()
        log.info("syncd stopped")


def reload_on_hangup(rt: runtime.Runtime) -> None:
    """On SIGHUP, every client file is read again at the next scheduler tick or job."""
    clients = rt.clients
    if isinstance(clients, ClientDirectory):
        signal.signal(signal.SIGHUP, lambda signum, frame: clients.request_reload())


def register_webhooks(
    rt: runtime.Runtime, base_url: str, clients: list[Client] | None = None
) -> None:
    """Register webhooks for every connector that can have one, of every client or of
    `clients` (run once the web server is up, and for clients added later)."""
    import asyncio

    keeper = GrantKeeper(rt.engine)
    for client in list(rt.clients.values()) if clients is None else clients:
        for conn in client.config.connectors:
            secrets = client.secrets[conn.id]
            hooks = kind_of(conn).webhooks
            if hooks is None:
                continue
            registered = None
            try:
                url = base_url + hooks.callback(client.id, conn, secrets)
                registered = asyncio.run(hooks.register(conn, secrets, url, keeper=keeper))
            except Exception as exc:
                log.warning("webhook for %s/%s not registered", client.id, conn.id, exc_info=True)
                webhook_problem(rt.engine, client.id, conn.id, f"not registered: {exc}")
            if registered is not None:
                remember_webhook(rt.engine, client.id, conn.id, registered)


def webhook_problem(engine: Engine, client: str, source: str, what: str) -> None:
    """Show a webhook that could not be made or kept among the client's sync problems."""
    message = f"webhook {what} (polling continues)"
    record_error(engine, client, kind="webhook", message=message, source=source)


def remember_webhook(engine: Engine, client: str, source: str, hook: Registered) -> None:
    """Keep the remote id, callback and expiry of a webhook (one row per connector); any open
    webhook problem of the connector is over."""
    save_webhook(
        engine,
        client,
        source,
        remote_id=hook.remote_id,
        callback=hook.callback,
        expires=hook.expires,
    )


def extend_webhooks(rt: runtime.Runtime, *, now: datetime | None = None) -> int:
    """Extend every webhook that lapses within `REFRESH_BEFORE` of `now` (the runtime's clock by
    default; made again when the tracker has dropped it: Jira's dynamic ones); returns how many
    were extended. Failures are warnings: the next upkeep tries again, and polling covers the
    gap."""
    import asyncio

    from syncd.connectors.kinds import REFRESH_BEFORE

    now = now or rt.clock.now()
    rows = expiring_webhooks(rt.engine)
    keeper, extended = GrantKeeper(rt.engine), 0
    for row in rows:
        client = rt.clients.get(row.client)
        if row.expires is None or row.expires - now > REFRESH_BEFORE or client is None:
            continue
        conn = next((c for c in client.config.connectors if c.id == row.source), None)
        if conn is None:
            continue
        hooks = kind_of(conn).webhooks
        if hooks is None or hooks.extend is None or not hooks.lapses(conn):
            continue
        hook = Registered(row.remote_id, row.callback, row.expires)
        try:
            fresh = asyncio.run(hooks.extend(conn, client.secrets[conn.id], hook, keeper=keeper))
        except Exception as exc:
            log.warning("webhook of %s/%s not extended", row.client, row.source, exc_info=True)
            lapses = row.expires.strftime("%Y-%m-%d %H:%M UTC")
            webhook_problem(rt.engine, row.client, row.source, f"lapses {lapses}: {exc}")
            continue
        if fresh is not None:
            remember_webhook(rt.engine, row.client, row.source, fresh)
            extended += 1
    return extended


def _after_shutdown(signum: int, frame: FrameType | None) -> None:
    log.info("signal %d: shutting down", signum)


def _announce(
    server: uvicorn.Server, settings: Settings, on_ready: Callable[[str], None] | None
) -> None:
    def wait() -> None:
        while not server.started and not server.should_exit:
            threading.Event().wait(0.05)
        if server.started and on_ready is not None:
            sockets = [s for srv in server.servers for s in srv.sockets]
            host, port = sockets[0].getsockname()[:2] if sockets else settings.host_port
            on_ready(f"http://{host}:{port}")

    threading.Thread(target=wait, name="syncd-ready", daemon=True).start()


def work(settings: Settings, *, threads: int = 4) -> None:
    """Run workers on the configured shared broker until SIGTERM or SIGINT."""
    if settings.broker_url in ("", "embedded"):
        raise ConfigError(
            "settings › broker_url: `syncd worker` needs a shared broker (redis:// or amqp://);"
            " the embedded broker lives inside `syncd run`"
        )
    rt = runtime.install(runtime.load(settings))
    # `run` migrates, not workers
    wait_for_head(rt.engine, timeout=settings.schema_wait_seconds, clock=rt.clock)
    broker = queue.setup(settings.broker_url, settings.queue_name, actors.declare)
    preload()
    worker = queue.start_worker(broker, threads=threads)
    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    reload_on_hangup(rt)
    log.info("worker running on %s", settings.broker_url.split("@")[-1])
    stop.wait()
    worker.stop()
    broker.close()
    rt.engine.dispose()
