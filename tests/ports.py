"""Ports for the servers that tests start, free of races with other tests and other sockets.

A port found by binding port 0 and closing the socket is an ephemeral one: until the server
binds it, any outgoing connection on the machine, or a parallel test doing the same, can be given
it by the kernel, and the server then stops with "address already in use". `free_port()` never
hands out an ephemeral port: it takes ports outside the kernel's ephemeral range
(`/proc/sys/net/ipv4/ip_local_port_range`), which the kernel never picks on its own.

Between test processes (pytest-xdist workers, or two test runs on one machine) the ports are
shared out in blocks: a process claims a block by an exclusive lock on a file named after it and
holds the lock until it exits, so no other process that takes ports here ever gets a port of its
block. Within a process each port is handed out once, and a port something already listens on
(a database, a broker) is skipped. A test that restarts its server on the same port keeps the
port: nobody else is handed it.
"""

from __future__ import annotations

import contextlib
import fcntl
import os
import socket
import tempfile
import threading
from collections.abc import Iterator
from pathlib import Path
from typing import IO

BLOCK = 50  # ports per claim
FLOOR = 10_000  # the lowest port handed out: below, registered services are dense
TOP = 65_535
LINUX_DEFAULT = (32_768, 60_999)
LOCKS = Path(tempfile.gettempdir()) / "syncd-test-ports"


def ephemeral_range() -> tuple[int, int]:
    """The kernel's range for ports it picks itself (bind to 0, outgoing connections)."""
    try:
        low, high = Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()
        return int(low), int(high)
    except (OSError, ValueError):
        return LINUX_DEFAULT


def blocks() -> list[int]:
    """The first port of every block outside the ephemeral range, the ones below it first.

    A process that runs as an xdist worker starts looking at a block of its own (gw0 at the
    first, gw1 at the second, ...), so workers rarely try each other's locks."""
    low, high = ephemeral_range()
    starts = list(range(FLOOR, low - BLOCK + 1, BLOCK))
    starts += list(range(high + 1, TOP - BLOCK + 2, BLOCK))
    worker = os.environ.get("PYTEST_XDIST_WORKER", "gw0").removeprefix("gw")
    shift = int(worker) % len(starts) if worker.isdigit() and starts else 0
    return starts[shift:] + starts[:shift]


def listening_free(port: int) -> bool:
    """Nothing holds `port` on loopback (no listener, no lingering connection on it)."""
    with socket.socket() as probe:
        try:
            probe.bind(("127.0.0.1", port))
        except OSError:
            return False
    return True


class Allocator:
    """Hands out ports from blocks it claims; see the module's docstring."""

    def __init__(self, lock_dir: Path = LOCKS) -> None:
        self.lock_dir = lock_dir
        self.held: list[IO[bytes]] = []  # the claims: open, locked files, kept to the end
        self.pending: Iterator[int] = iter(())
        self.lock = threading.Lock()

    def claim(self) -> Iterator[int]:
        self.lock_dir.mkdir(parents=True, exist_ok=True)
        claimed = {Path(f.name).stem for f in self.held}
        for start in blocks():
            if str(start) in claimed:
                continue
            try:
                file = (self.lock_dir / f"{start}.lock").open("ab")
            except OSError:  # another user's lock file: theirs
                continue
            try:
                fcntl.flock(file, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except OSError:
                file.close()
                continue
            self.held.append(file)
            return iter(range(start, start + BLOCK))
        raise RuntimeError(f"every block of test ports is claimed (locks in {self.lock_dir})")

    def port(self) -> int:
        with self.lock:
            while True:
                for candidate in self.pending:
                    if listening_free(candidate):
                        return candidate
                self.pending = self.claim()

    def release(self) -> None:
        """Give every claimed block back (the process's end does the same)."""
        with self.lock:
            for file in self.held:
                with contextlib.suppress(OSError):
                    file.close()
            self.held.clear()
            self.pending = iter(())


_ALLOCATOR = Allocator()


def free_port() -> int:
    """A loopback port nothing listens on, outside the ephemeral range, this process's alone."""
    return _ALLOCATOR.port()
