"""The one place that talks HTTP: clients with timeouts, response classification, retries, pacing.

* `classify` turns a response or an httpx exception into syncd's error tree.
* `Remote.request` retries transient errors with tenacity: Retry-After is honoured, otherwise
  jittered exponential backoff, a bounded number of attempts.
* Before each request a `Remote` takes a slot in its credentials' rates (e.g. Trello's 100
  requests / 10 s per token) from the process's `syncd.budget.Budget`: this process alone on
  the embedded default, every process of the deployment on Redis or PostgreSQL.
* `AdaptiveLimit` narrows concurrency when a remote answers 429 and widens it again on success.

Nothing here logs a header, and every URL in a message goes through `syncd.redact`: Trello
carries its key and token in the query, and one of its paths (`/1/tokens/<token>/webhooks`).
"""

from __future__ import annotations

import asyncio
import email.utils
import functools
import json
import logging
import random
import ssl
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import httpx
import orjson
from tenacity import (
    AsyncRetrying,
    RetryCallState,
    retry_if_exception_type,
    stop_after_attempt,
)

from syncd import budget, metrics, redact
from syncd.budget import Budget
from syncd.budget import credential_key as credential_key
from syncd.clock import SYSTEM, Clock
from syncd.errors import (
    AuthError,
    NotFoundError,
    PermanentError,
    RateLimitedError,
    TransientError,
)
from syncd.rate import Rate as Rate  # connectors name their rates through this module

log = logging.getLogger(__name__)


redact.install()  # every log line of the process, httpx's request lines first among them

DEFAULT_TIMEOUT = httpx.Timeout(30.0, connect=10.0)
MAX_INLINE_WAIT = 120.0  # seconds a request may wait for Retry-After before the job is re-queued
TRANSIENT_STATUS = {408, 425, 500, 502, 503, 504}
# Bodies from here up are decoded by the standard library: orjson builds a whole document tree
# before the Python objects, a peak of 15 times the body (a 5,000-card Trello board: 223 MiB
# against 70), where the two take the same time on bodies this large.
LARGE_BODY = 4 * 2**20


class AdaptiveLimit:
    """A concurrency limit that halves on 429 and grows by one after `grow_after` successes."""

    def __init__(self, limit: int, *, floor: int = 1, grow_after: int = 8) -> None:
        self.ceiling = limit
        self.limit = limit
        self.floor = floor
        self.grow_after = grow_after
        self._active = 0
        self._ok = 0
        self._cond = asyncio.Condition()

    async def __aenter__(self) -> AdaptiveLimit:
        async with self._cond:
            await self._cond.wait_for(lambda: self._active < self.limit)
            self._active += 1
        return self

    async def __aexit__(self, exc_type: object, exc: BaseException | None, tb: object) -> None:
        async with self._cond:
            self._active -= 1
            if isinstance(exc, RateLimitedError):
                self.limit = max(self.floor, self.limit // 2)
                self._ok = 0
            elif exc is None:
                self._ok += 1
                if self._ok >= self.grow_after and self.limit < self.ceiling:
                    self.limit += 1
                    self._ok = 0
            self._cond.notify_all()

    def throttled(self) -> None:
        """Note a 429 that was retried inside a request: narrow the window now."""
        self.limit = max(self.floor, self.limit // 2)
        self._ok = 0


def parse_retry_after(
    headers: Mapping[str, str], default: float = 5.0, *, clock: Clock = SYSTEM
) -> float:
    """Seconds to wait from Retry-After (seconds or HTTP date) or X-RateLimit-Reset (ISO 8601);
    a date is counted from `clock`'s now."""
    value = headers.get("retry-after")
    if value:
        try:
            return max(0.0, float(value))
        except ValueError:
            parsed = email.utils.parsedate_to_datetime(value) if value else None
            if parsed is not None:
                return max(0.0, (parsed - clock.now()).total_seconds())
    reset = headers.get("x-ratelimit-reset")
    if reset:
        try:
            at = datetime.fromisoformat(reset.replace("Z", "+00:00"))
            return max(0.0, (at - clock.now()).total_seconds())
        except ValueError:
            pass
    return default


def _where(request: httpx.Request) -> str:
    return redact.where(request.method, request.url)


def classify(
    response: httpx.Response, *, service: str = "", clock: Clock = SYSTEM
) -> httpx.Response:
    """Return a successful response; raise the matching syncd error for any other (a dated
    Retry-After counted from `clock`)."""
    status = response.status_code
    if status < 400:
        return response
    where = _where(response.request)
    if status == 429 or (status == 503 and "retry-after" in response.headers):
        wait = parse_retry_after(response.headers, clock=clock)
        raise RateLimitedError(
            f"{where}: rate limited ({status}), retry after {wait:.1f}s",
            retry_after=wait,
            status=status,
            service=service,
        )
    if status in TRANSIENT_STATUS or status >= 500:
        raise TransientError(f"{where}: server error {status}", status=status, service=service)
    if status in (401, 403):
        raise AuthError(f"{where}: not authorized ({status})", status=status, service=service)
    if status == 404:
        raise NotFoundError(f"{where}: not found", status=status, service=service)
    detail = response.text[:300].replace("\n", " ")
    raise PermanentError(f"{where}: {status} {detail}", status=status, service=service)


def _wait(state: RetryCallState, base: float, cap: float) -> float:
    exc = state.outcome.exception() if state.outcome else None
    if isinstance(exc, RateLimitedError):
        return exc.retry_after + random.uniform(0, 0.25)  # noqa: S311 -- jitter, not secrecy
    backoff = min(cap, base * 2 ** (state.attempt_number - 1))
    return random.uniform(backoff / 2, backoff)  # noqa: S311


@dataclass
class Counters:
    requests: int = 0
    bytes_in: int = 0
    retries: int = 0
    throttled: int = 0


class Remote:
    """One service's client: pacing, classification, retries and counters around httpx."""

    def __init__(
        self,
        client: httpx.AsyncClient,
        *,
        service: str,
        budgets: tuple[Rate, ...] = (),
        attempts: int = 6,
        backoff: float = 0.5,
        max_backoff: float = 20.0,
        budget: Budget | None = None,
        on_throttle: Callable[[], None] | None = None,
        usage_headers: Mapping[Rate, tuple[str, str]] | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        """`budgets`: the rates each request counts against, drawn from `budget` (default: the
        process's, `syncd.budget.current()` at each request); `usage_headers`: per rate, the
        remote's (remaining, max) headers; `clock`: what backoffs and Retry-After wait on
        (pacing waits on the budget's)."""
        self.client = client
        self.service = service
        self.budgets = budgets
        self.attempts = attempts
        self.backoff = backoff
        self.max_backoff = max_backoff
        self.budget = budget
        self.on_throttle = on_throttle
        self.usage_headers = dict(usage_headers or {})
        self.clock = clock
        self.counters = Counters()

    async def _once(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        await budget.acquire(self.spending(), self.budgets)
        self.counters.requests += 1
        started = time.monotonic()  # the latency metric counts the machine's own seconds
        try:
            response = await self.client.request(method, url, **kwargs)
        except httpx.TransportError as exc:
            raise TransientError(
                f"{redact.where(method, url)}: {type(exc).__name__}", service=self.service
            ) from exc
        self.counters.bytes_in += len(response.content)
        self._observe_usage(response.headers)
        metrics.REMOTE_LATENCY.labels(self.service).observe(time.monotonic() - started)
        try:
            return classify(response, service=self.service, clock=self.clock)
        except RateLimitedError as exc:
            self.counters.throttled += 1
            if self.on_throttle is not None:
                self.on_throttle()
            if exc.retry_after > MAX_INLINE_WAIT:
                raise PermanentRateLimit(exc) from exc
            raise

    def spending(self) -> Budget:
        """The budget this remote's requests draw from."""
        return self.budget if self.budget is not None else budget.current()

    def _observe_usage(self, headers: httpx.Headers) -> None:
        for rate, (remaining, most) in self.usage_headers.items():
            try:
                used = int(headers[most]) - int(headers[remaining])
            except (KeyError, ValueError):
                continue
            self.spending().observe(rate, used)

    async def request(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        """Send one request; retried while transient, raised as syncd's error otherwise."""
        retrying = AsyncRetrying(
            sleep=self.clock.pause,
            stop=stop_after_attempt(self.attempts),
            wait=lambda s: _wait(s, self.backoff, self.max_backoff),
            retry=retry_if_exception_type(TransientError),
            reraise=True,
            before_sleep=self._before_sleep,
        )
        try:
            async for attempt in retrying:
                with attempt:
                    return await self._once(method, url, **kwargs)
        except PermanentRateLimit as wrapped:
            raise wrapped.error from None
        raise AssertionError("unreachable")  # pragma: no cover

    def _before_sleep(self, state: RetryCallState) -> None:
        self.counters.retries += 1
        exc = state.outcome.exception() if state.outcome else None
        log.info("%s: retry %d after %s", self.service, state.attempt_number, exc)

    async def json(self, method: str, url: str, **kwargs: Any) -> Any:
        return self.decode(await self.body(method, url, **kwargs), method, url)

    async def body(self, method: str, url: str, **kwargs: Any) -> bytes:
        """The answer's bytes, for `decode` later: bytes wait in a queue without costing the
        garbage collector anything, where a decoded page is a hundred thousand objects."""
        return (await self.request(method, url, **kwargs)).content

    def decode(self, body: bytes, method: str, url: str) -> Any:
        """JSON from the bytes of an answer to `method url` (None when empty); not JSON is a
        transient error."""
        if not body:
            return None
        try:
            return (orjson.loads if len(body) < LARGE_BODY else json.loads)(body)
        except json.JSONDecodeError as exc:  # orjson's error is a subclass
            raise TransientError(
                f"{redact.where(method, url)}: the answer is not JSON ({exc})",
                service=self.service,
            ) from None


class PermanentRateLimit(Exception):
    """Carries a RateLimitedError whose wait is too long to sit out inside one request."""

    def __init__(self, error: RateLimitedError) -> None:
        self.error = error
        super().__init__(str(error))


@functools.cache
def tls_context() -> ssl.SSLContext:
    """The TLS context every client shares, built once as httpx builds its default (certifi's CA
    bundle, or SSL_CERT_FILE / SSL_CERT_DIR): loading the CA bundle costs about 50 ms of CPU,
    which a daemon building two connectors for every client's every cycle paid each time (a
    thousand clients: a hundred seconds of CPU a cycle)."""
    return httpx.create_ssl_context()


def make_client(
    base_url: str,
    *,
    auth: httpx.Auth | None = None,
    headers: Mapping[str, str] | None = None,
    params: Mapping[str, str] | None = None,
    connections: int = 10,
    timeout: httpx.Timeout = DEFAULT_TIMEOUT,
    transport: httpx.AsyncBaseTransport | None = None,
) -> httpx.AsyncClient:
    """An AsyncClient with timeouts, a connection pool sized for `connections`, and no redirects,
    verifying certificates with the process's one TLS context (`tls_context`)."""
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    return httpx.AsyncClient(
        verify=tls_context(),
        base_url=base_url,
        auth=auth,
        headers={"Accept": "application/json", "User-Agent": "syncd", **(headers or {})},
        params=dict(params or {}),
        timeout=timeout,
        limits=limits,
        transport=transport,
        follow_redirects=False,
    )
