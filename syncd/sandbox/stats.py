"""Request counters: per route template, per credential, bytes out, faults, and a write log."""

from __future__ import annotations

import threading
from collections import Counter
from typing import Any

WRITE_LOG_CAP = 10_000


class Stats:
    """Thread-safe counters read by `Sandbox.stats()` and `GET /_admin/stats`."""

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget everything counted so far."""
        with self._lock:
            self._routes: Counter[str] = Counter()
            self._credentials: Counter[str] = Counter()
            self._statuses: Counter[str] = Counter()
            self._faults: Counter[str] = Counter()
            self._writes: list[dict[str, Any]] = []
            self._bytes_out = 0

    def count(self, *, route: str, credential: str, status: int, bytes_out: int) -> None:
        """Record one answered request."""
        with self._lock:
            self._routes[route] += 1
            self._credentials[credential] += 1
            self._statuses[str(status)] += 1
            self._bytes_out += bytes_out

    def fault(self, kind: str) -> None:
        """Record an injected fault (`drop`, `500`, `429`, ...)."""
        with self._lock:
            self._faults[kind] += 1

    def write(self, method: str, path: str, body: bytes) -> None:
        """Log a write: method, path and the start of its body."""
        summary = body[:200].decode("utf-8", "replace")
        with self._lock:
            if len(self._writes) < WRITE_LOG_CAP:
                self._writes.append({"method": method, "path": path, "body": summary})

    def snapshot(self) -> dict[str, Any]:
        """A JSON-ready copy."""
        with self._lock:
            return {
                "requests": dict(self._routes),
                "by_credential": dict(self._credentials),
                "by_status": dict(self._statuses),
                "faults": dict(self._faults),
                "writes": list(self._writes),
                "bytes_out": self._bytes_out,
            }
