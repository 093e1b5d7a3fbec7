"""Injected trouble, as outermost ASGI middleware: latency, slow answers, Jira 429s (every
Nth request or over a per-window budget), error answers (500/502/503 unless other statuses are
asked for), and dropped connections.

The dice are a `random.Random` seeded from `Faults.seed` and re-seeded whenever the faults
change, so a sequential client sees the same faults on every run. `/_admin` is never touched.
"""

from __future__ import annotations

import asyncio
import json
import math
import random
import threading
import time
from datetime import UTC, datetime, timedelta
from http import HTTPStatus

from starlette.types import ASGIApp, Receive, Scope, Send

from syncd.sandbox.config import Faults
from syncd.sandbox.context import Context

JIRA_PREFIXES = ("/cloud", "/dc", "/api/ex/jira/")


class FaultInjector:
    """Wraps the whole app; reads `ctx.faults` and `ctx.latency_ms` on every request."""

    def __init__(self, app: ASGIApp, ctx: Context) -> None:
        self.app = app
        self.ctx = ctx
        self._lock = threading.Lock()
        self._faults: Faults | None = None
        self._rng = random.Random(0)
        self._jira_seen = 0
        self._window_start = 0.0
        self._window_count = 0

    def _dice(self) -> tuple[Faults, random.Random]:
        faults = self.ctx.faults
        if faults is not self._faults:
            self._faults = faults
            self._rng = random.Random(faults.seed)
            self._jira_seen = 0
            self._window_start, self._window_count = time.monotonic(), 0
        return faults, self._rng

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        path = scope.get("path", "")
        if scope["type"] != "http" or path.startswith("/_admin"):
            await self.app(scope, receive, send)
            return
        with self._lock:
            decision, delay, retry_after = self.decide(path)
        if delay:
            await asyncio.sleep(delay)
        if decision == "drop":
            self.ctx.stats.fault("drop")
            await drop(send)
        elif decision:
            self.ctx.stats.fault(decision)
            echo = request_line(scope) if self.ctx.faults.echo else ""
            jira = path.startswith(JIRA_PREFIXES)
            await error(send, int(decision), retry_after, jira=jira, echo=echo)
        else:
            await self.app(scope, receive, send)

    def decide(self, path: str) -> tuple[str, float, int]:
        """(fault: "" | "drop" | status, delay in seconds, Retry-After seconds)."""
        faults, rng = self._dice()
        delay = self.ctx.latency_ms / 1000
        if faults.slow_ms and rng.random() < faults.slow_rate:
            delay += faults.slow_ms / 1000
        if path.startswith(JIRA_PREFIXES):
            limited = self.jira_limit(faults)
            if limited:
                return "429", delay, limited
        if faults.drop_rate and rng.random() < faults.drop_rate:
            return "drop", delay, 0
        if faults.error_rate and rng.random() < faults.error_rate:
            return str(rng.choice(faults.statuses)), delay, faults.retry_after_s
        return "", delay, 0

    def jira_limit(self, faults: Faults) -> int:
        """Retry-After seconds when this Jira request is over a limit, else 0."""
        self._jira_seen += 1
        if faults.jira_429_every and self._jira_seen % faults.jira_429_every == 0:
            return faults.retry_after_s
        if faults.jira_limit:
            now = time.monotonic()
            if now - self._window_start >= faults.jira_window_s:
                self._window_start, self._window_count = now, 0
            self._window_count += 1
            if self._window_count > faults.jira_limit:
                left = faults.jira_window_s - (now - self._window_start)
                return max(1, math.ceil(left))
        return 0


async def drop(send: Send) -> None:
    """Close the connection without answering (the client sees a protocol/read error)."""
    cycle = getattr(send, "__self__", None)
    transport = getattr(cycle, "transport", None)
    if transport is None:
        raise ConnectionAbortedError("sandbox dropped the connection")
    transport.abort()
    for _ in range(100):
        if getattr(cycle, "disconnected", True):
            return
        await asyncio.sleep(0)


def request_line(scope: Scope) -> str:
    """`GET /path?query` of a request, as an error page may repeat it."""
    query = scope.get("query_string", b"").decode("latin-1")
    return f"{scope.get('method', '')} {scope.get('path', '')}" + (f"?{query}" if query else "")


async def error(send: Send, status: int, retry_after: int, *, jira: bool, echo: str = "") -> None:
    """An error answer in the API's style; 429 and 503 carry Retry-After; with `echo`, the body
    repeats the request line, as Express's `Cannot GET /…` pages do."""
    phrase = HTTPStatus(status).phrase + (f": cannot {echo}" if echo else "")
    if jira:
        message = "Rate limit exceeded." if status == 429 else phrase
        body = json.dumps({"errorMessages": [message], "errors": {}}).encode()
        content_type = b"application/json;charset=UTF-8"
    else:
        body = phrase.encode()
        content_type = b"text/plain; charset=utf-8"
    headers = [(b"content-type", content_type), (b"content-length", str(len(body)).encode())]
    if status in (429, 503):
        headers.append((b"retry-after", str(retry_after).encode()))
    if status == 429:
        reset = (datetime.now(UTC) + timedelta(seconds=retry_after)).strftime("%Y-%m-%dT%H:%MZ")
        headers += [
            (b"x-ratelimit-reset", reset.encode()),
            (b"x-ratelimit-remaining", b"0"),
            (b"ratelimit-reason", b"jira-burst-based"),
        ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
