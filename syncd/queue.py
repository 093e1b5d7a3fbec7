"""Broker selection and dispatch. The broker is set here, before any actor is declared.

`setup(url, queue_name, declare)` picks dramatiq's in-process broker for `embedded` (the default:
a `Worker` runs inside the daemon), `RedisBroker` for `redis://…` and `RabbitmqBroker` for
`amqp://…`, with the settings measured in the queue notes, sets it, and only then declares the
actors the caller hands it (the daemon hands `actors.declare`: this module knows no job kind).
Actors take job ids; the row in `jobs` is the truth, and `dispatch` only sends its message.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker

from syncd.errors import ConfigError
from syncd.store.work import JobKind

log = logging.getLogger(__name__)

Declare = Callable[[dramatiq.Broker, str], dict[JobKind, Any]]  # the actors by job kind
_actors: dict[JobKind, Any] = {}


def make_broker(url: str) -> dramatiq.Broker:
    """A broker for `url`: `embedded`, `redis://…` or `amqp://…`."""
    if url in ("", "embedded", "stub", "memory"):
        return StubBroker()
    if url.startswith(("redis://", "rediss://")):
        from dramatiq.brokers.redis import RedisBroker

        return RedisBroker(  # type: ignore[no-untyped-call]
            url=url, heartbeat_timeout=15000, maintenance_chance=20000
        )
    if url.startswith(("amqp://", "amqps://")):
        from dramatiq.brokers.rabbitmq import RabbitmqBroker

        return RabbitmqBroker(url=url, confirm_delivery=True)
    raise ConfigError(
        f"settings › broker_url: unsupported broker URL scheme in {url.split(':')[0]!r}"
    )


def setup(url: str, queue_name: str, declare: Declare) -> dramatiq.Broker:
    """Set the process's broker, then declare the actors on it with `declare`, on the
    deployment's queue (in this order: an actor declared first would keep the default broker)."""
    broker = make_broker(url)
    dramatiq.set_broker(broker)
    _actors.clear()
    _actors.update(declare(broker, queue_name))
    return broker


def send(kind: JobKind, job_id: int, *, delay_ms: int | None = None) -> None:
    """Send the message that shadows job row `job_id`."""
    actor = _actors.get(kind)
    if actor is None:
        raise RuntimeError("queue.setup() was not called in this process")
    actor.send_with_options(args=(job_id,), delay=delay_ms)


def dispatch(kind: JobKind, job_id: int | None) -> None:
    """Send the message for a committed row, when a queue runs in this process.

    A failed send loses nothing: the sweeper sends every due row no message covers.
    """
    if job_id is None or not is_ready():
        return
    try:
        send(kind, job_id)
    except Exception:
        log.warning("could not send %s job %d; the sweeper will", kind, job_id, exc_info=True)


def send_later(kind: JobKind, job_id: int, seconds: float) -> None:
    """Send the message for a deferred row once it is due again (a little after, so it is)."""
    try:
        send(kind, job_id, delay_ms=int(seconds * 1000) + 100)
    except Exception:
        log.warning("could not send %s job %d; the sweeper will", kind, job_id, exc_info=True)


def forget() -> None:
    """Forget the actors: `send` refuses and `is_ready` is False until the next `setup`."""
    _actors.clear()


def is_ready() -> bool:
    return bool(_actors)


def start_worker(broker: dramatiq.Broker, *, threads: int = 4) -> dramatiq.Worker:
    """A Worker in this process; `process_boot` first, or time limits are silently off."""
    broker.emit_after("process_boot")
    worker = dramatiq.Worker(broker, worker_threads=threads, worker_timeout=250)
    worker.start()
    return worker


def ping(broker: dramatiq.Broker) -> bool:
    """Whether the broker answers (for /healthz)."""
    try:
        if isinstance(broker, StubBroker):
            return True
        client = getattr(broker, "client", None)
        if client is not None:
            client.ping()
            return True
        broker.get_declared_queues()
        channel = getattr(broker, "channel", None)
        return channel is None or bool(channel.is_open)
    except Exception:
        log.warning("broker ping failed", exc_info=True)
        return False
