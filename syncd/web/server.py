"""The daemon's HTTP server: uvicorn, guarded against idle, slow and too many connections.

uvicorn closes an idle keep-alive connection, but not one that never finishes its request: a
client that connects and sends nothing, or drips its headers a byte at a time (slowloris), or
stalls in its body, holds a socket and a file descriptor for good. Here each connection has a
deadline for its request line and headers (`header_timeout`) and then for its body
(`body_timeout`), and is closed when it misses one. Past `max_connections`, a new connection
makes room by closing the connection that has waited longest without a request in progress
(or is itself closed when every connection is busy), so idle sockets never starve real
requests. Accept errors (EMFILE and the like) are logged at most once per `ACCEPT_LOG_EVERY`
seconds, with a count.
"""

from __future__ import annotations

import asyncio
import errno
import logging
import resource
import socket
import time
from dataclasses import dataclass
from typing import Any, ClassVar

import h11
import uvicorn
from uvicorn.protocols.http.h11_impl import H11Protocol

log = logging.getLogger(__name__)

ACCEPT_LOG_EVERY = 10.0  # seconds between two log lines about failed accepts
OPEN_FILES_WANTED = 65536  # the soft limit on open files is raised towards this
OPEN_FILES_RESERVE = 64  # descriptors kept for the database, logs and the broker


@dataclass(frozen=True)
class Limits:
    """How long a client may take over a request, and how many connections are kept."""

    header_timeout: float = 10.0
    body_timeout: float = 30.0
    max_connections: int = 1000


class GuardedProtocol(H11Protocol):
    """uvicorn's h11 protocol with read deadlines and a connection cap (`Limits`)."""

    limits: ClassVar[Limits] = Limits()
    waiting_line: ClassVar[dict[GuardedProtocol, None]] = {}  # oldest first; one per server
    evicted: ClassVar[int] = 0  # connections closed to make room, for the log

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.deadline: asyncio.TimerHandle | None = None
        self.phase: str | None = None  # "headers", "body" or None (no read pending)

    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        super().connection_made(transport)  # type: ignore[arg-type]
        self._expect()
        if len(self.connections) > self.limits.max_connections:
            self._make_room()

    def connection_lost(self, exc: Exception | None) -> None:
        self._arm(None)
        self.waiting_line.pop(self, None)
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        super().data_received(data)
        self._expect()

    def on_response_complete(self) -> None:
        super().on_response_complete()
        self.waiting_line.pop(self, None)  # back in the line, at its end
        self._queue()
        if self.conn.their_state is h11.IDLE:
            self._arm(None)  # waiting for the next request: uvicorn's keep-alive timer runs
        else:
            self._expect()

    @property
    def waiting(self) -> bool:
        """No request in progress: nothing of one received, or its response sent."""
        idle = self.conn.their_state is h11.IDLE
        return idle and (self.cycle is None or self.cycle.response_complete)

    def _queue(self) -> None:
        """Keep this connection in the waiting line while it has no request in progress."""
        if not self.waiting:
            self.waiting_line.pop(self, None)
        elif self not in self.waiting_line:
            self.waiting_line[self] = None

    def _expect(self) -> None:
        """Arm the deadline for what is awaited from the client now, if it changed."""
        self._queue()
        state = self.conn.their_state
        phase = "headers" if state is h11.IDLE else "body" if state is h11.SEND_BODY else None
        if phase != self.phase:
            self._arm(phase)

    def _arm(self, phase: str | None) -> None:
        if self.deadline is not None:
            self.deadline.cancel()
            self.deadline = None
        self.phase = phase
        if phase is not None:
            limits = self.limits
            delay = limits.header_timeout if phase == "headers" else limits.body_timeout
            self.deadline = self.loop.call_later(delay, self._expired)

    def _expired(self) -> None:
        self.deadline = None
        if not self.transport.is_closing():
            log.debug("closing a connection that sent no complete %s in time", self.phase)
            self.transport.close()

    def _make_room(self) -> None:
        """Close the connection waiting longest for a request (this one if all are busy)."""
        victim = self
        while self.waiting_line:
            oldest = next(iter(self.waiting_line))
            del self.waiting_line[oldest]
            if oldest is not self and not oldest.transport.is_closing():
                victim = oldest
                break
        if victim is self:
            self.waiting_line.pop(self, None)
        victim.transport.close()
        cls = GuardedProtocol
        cls.evicted += 1
        if cls.evicted == 1 or cls.evicted % 1000 == 0:
            log.warning(
                "more than %d connections: closed %d waiting one(s) to make room so far",
                self.limits.max_connections,
                cls.evicted,
            )


class AcceptErrors:
    """An event loop exception handler that logs failed accepts (out of file descriptors,
    memory or buffers) once per `every` seconds with how many there were; anything else goes
    to the loop's default handler."""

    RESOURCES = frozenset({errno.EMFILE, errno.ENFILE, errno.ENOBUFS, errno.ENOMEM})

    def __init__(self, *, every: float = ACCEPT_LOG_EVERY) -> None:
        self.every, self.count, self.logged_at = every, 0, float("-inf")

    def __call__(self, loop: asyncio.AbstractEventLoop, context: dict[str, Any]) -> None:
        exc = context.get("exception")
        if not (isinstance(exc, OSError) and exc.errno in self.RESOURCES):
            loop.default_exception_handler(context)
            return
        self.count += 1
        now = time.monotonic()
        if now - self.logged_at >= self.every:
            log.error(
                "cannot accept connections: %s (%d time(s) since the last report)",
                exc.strerror or exc,
                self.count,
            )
            self.count, self.logged_at = 0, now


class GuardedServer(uvicorn.Server):
    """uvicorn's server with `AcceptErrors` as its event loop's exception handler."""

    async def startup(self, sockets: list[socket.socket] | None = None) -> None:
        asyncio.get_running_loop().set_exception_handler(AcceptErrors())
        await super().startup(sockets=sockets)


def raise_open_files_limit(wanted: int = OPEN_FILES_WANTED) -> int:
    """Raise the soft limit on open files towards `wanted` (never past the hard limit); the
    soft limit in force after."""
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == resource.RLIM_INFINITY else min(wanted, hard)
    if soft != resource.RLIM_INFINITY and soft < target:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as exc:
            log.warning("open files limit stays at %d: %s", soft, exc)
    return wanted if soft == resource.RLIM_INFINITY else soft


def build_server(app: Any, host: str, port: int, limits: Limits) -> uvicorn.Server:
    """The daemon's server for `app`, its connection cap kept within the open files limit."""
    open_files = raise_open_files_limit()
    cap = min(limits.max_connections, max(16, open_files - OPEN_FILES_RESERVE))
    if cap < limits.max_connections:
        log.warning("at most %d connections: the open files limit is %d", cap, open_files)
    protocol = type(
        "SyncdProtocol",
        (GuardedProtocol,),
        {"limits": Limits(limits.header_timeout, limits.body_timeout, cap), "waiting_line": {}},
    )
    config = uvicorn.Config(
        app,
        host=host,
        port=port,
        log_level="warning",
        lifespan="on",
        http=protocol,
        loop="asyncio",
    )
    return GuardedServer(config)
