"""Broker selection and the actors. The broker is set here, before any actor is declared.

`setup(url)` picks dramatiq's in-process broker for `embedded` (the default: a `Worker` runs
inside the daemon), `RedisBroker` for `redis://…` and `RabbitmqBroker` for `amqp://…`, with the
settings measured in the queue notes. Actors take job ids; the row in `jobs` is the truth.
"""

from __future__ import annotations

import logging
from typing import Any

import dramatiq
from dramatiq.brokers.stub import StubBroker

from syncd.errors import ConfigError
from syncd.store.work import JobKind

log = logging.getLogger(__name__)

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


def setup(url: str, queue_name: str = "syncd") -> dramatiq.Broker:
    """Set the process's broker and declare the actors on it, on the deployment's queue."""
    broker = make_broker(url)
    dramatiq.set_broker(broker)
    from syncd import actors

    _actors.clear()
    _actors.update(actors.declare(broker, queue_name))
    return broker


def send(kind: JobKind, job_id: int, *, delay_ms: int | None = None) -> None:
    """Send the message that shadows job row `job_id`."""
    actor = _actors.get(kind)
    if actor is None:
        raise RuntimeError("queue.setup() was not called in this process")
    actor.send_with_options(args=(job_id,), delay=delay_ms)


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
