"""The HTTP layer: classification, retries, Retry-After, pacing under a shared budget."""

from __future__ import annotations

import asyncio
import json
import logging
import ssl
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest
import respx

from syncd import http
from syncd.budget import LocalBudget, acquire
from syncd.clock import FakeClock
from syncd.errors import (
    AuthError,
    NotFoundError,
    PermanentError,
    RateLimitedError,
    TransientError,
)


def remote(**kwargs: object) -> http.Remote:
    client = http.make_client("https://acme.example")
    return http.Remote(client, service="test", backoff=0.01, max_backoff=0.02, **kwargs)  # type: ignore[arg-type]


@respx.mock
def test_429_with_retry_after_waits_that_long() -> None:
    """A 429 with Retry-After: 2 waits about two seconds (on the remote's clock), then the retry
    succeeds."""
    clock = FakeClock()
    route = respx.get("https://acme.example/x").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "2"}),
            httpx.Response(200, json={}),
        ]
    )
    start = clock.monotonic()
    response = asyncio.run(remote(clock=clock).request("GET", "/x"))
    assert response.status_code == 200 and route.call_count == 2
    assert 2.0 <= clock.monotonic() - start <= 2.3


@respx.mock
def test_a_dated_retry_after_is_counted_from_the_remotes_clock() -> None:
    """Retry-After as an HTTP date ten seconds after the clock's now waits ten seconds."""
    clock = FakeClock(datetime(2015, 10, 21, 7, 27, 50, tzinfo=UTC))
    respx.get("https://acme.example/x").mock(
        side_effect=[
            httpx.Response(429, headers={"Retry-After": "Wed, 21 Oct 2015 07:28:00 GMT"}),
            httpx.Response(200, json={}),
        ]
    )
    start = clock.now()
    asyncio.run(remote(clock=clock).request("GET", "/x"))
    assert timedelta(seconds=10) <= clock.now() - start <= timedelta(seconds=10.3)


@respx.mock
def test_503_then_200_succeeds() -> None:
    """A transient 503 is retried and the request succeeds."""
    route = respx.get("https://acme.example/x").mock(
        side_effect=[httpx.Response(503), httpx.Response(200, json={"ok": True})]
    )
    r = remote()
    assert asyncio.run(r.json("GET", "/x")) == {"ok": True}
    assert route.call_count == 2 and r.counters.retries == 1


@respx.mock
def test_dropped_connection_is_retried() -> None:
    """A connection dropped mid-response is transient: retried."""
    route = respx.get("https://acme.example/x").mock(
        side_effect=[httpx.RemoteProtocolError("closed"), httpx.Response(200, json=[])]
    )
    assert asyncio.run(remote().json("GET", "/x")) == []
    assert route.call_count == 2


@respx.mock
def test_401_is_auth_error_and_not_retried() -> None:
    """401 raises AuthError after exactly one request."""
    route = respx.get("https://acme.example/x").mock(return_value=httpx.Response(401))
    with pytest.raises(AuthError):
        asyncio.run(remote().request("GET", "/x"))
    assert route.call_count == 1


@respx.mock
def test_404_and_400_are_permanent() -> None:
    """404 is NotFoundError, 400 a PermanentError; neither is retried."""
    respx.get("https://acme.example/a").mock(return_value=httpx.Response(404))
    respx.get("https://acme.example/b").mock(return_value=httpx.Response(400, text="bad jql"))
    with pytest.raises(NotFoundError):
        asyncio.run(remote().request("GET", "/a"))
    with pytest.raises(PermanentError, match="bad jql"):
        asyncio.run(remote().request("GET", "/b"))


@respx.mock
def test_attempts_are_bounded() -> None:
    """A service that keeps failing gets a bounded number of tries, then the error surfaces."""
    route = respx.get("https://acme.example/x").mock(return_value=httpx.Response(502))
    with pytest.raises(http.TransientError):
        asyncio.run(remote(attempts=3).request("GET", "/x"))
    assert route.call_count == 3


@respx.mock
def test_long_retry_after_is_raised_for_the_queue_to_delay() -> None:
    """A Retry-After longer than a request may wait surfaces as RateLimitedError, not a sleep."""
    respx.get("https://acme.example/x").mock(
        return_value=httpx.Response(429, headers={"Retry-After": "3600"})
    )
    with pytest.raises(RateLimitedError) as info:
        asyncio.run(remote().request("GET", "/x"))
    assert info.value.retry_after == 3600


@respx.mock
def test_errors_and_logs_never_carry_query_secrets(caplog: pytest.LogCaptureFixture) -> None:
    """Trello's key and token ride in the query; no error message or log line shows them."""
    caplog.set_level(logging.DEBUG)
    respx.get("https://acme.example/1/boards/b").mock(
        side_effect=[httpx.Response(500), httpx.Response(403)]
    )
    client = http.make_client("https://acme.example", params={"key": "K3Y", "token": "T0K3N"})
    r = http.Remote(client, service="trello", backoff=0.01)
    with pytest.raises(AuthError) as info:
        asyncio.run(r.request("GET", "/1/boards/b"))
    assert "T0K3N" not in str(info.value) and "K3Y" not in str(info.value)
    assert "T0K3N" not in caplog.text and "K3Y" not in caplog.text


def test_pacing_keeps_every_window_under_budget() -> None:
    """With a budget of 5 per 1 s, no rolling 1-second window holds more than 5 requests: the
    pace waits on the budget's clock (fake here: no real second passes)."""
    clock = FakeClock()
    pacer = LocalBudget(clock)
    rate = http.Rate(http.credential_key("trello", "token"), 5, 1.0)
    stamps: list[float] = []

    async def one() -> None:
        await acquire(pacer, (rate,))
        stamps.append(clock.monotonic())

    async def main() -> None:
        await asyncio.gather(*(one() for _ in range(17)))

    asyncio.run(main())
    stamps.sort()
    assert len(stamps) == 17
    for i, start in enumerate(stamps):
        in_window = [s for s in stamps[i:] if s < start + 1.0 - 1e-3]
        assert len(in_window) <= 5
    assert stamps[-1] - stamps[0] >= 3.0  # 17 requests at 5/s need at least three refills


@respx.mock
def test_pacing_waits_on_the_budgets_clock_not_the_remotes() -> None:
    """A request over budget waits for the window on the budget's clock (the one its window
    slides on), not on the remote's: a remote on a fake clock drawing from a real-time budget
    waits real time instead of spinning."""
    budget_clock, remote_clock = FakeClock(), FakeClock()
    rate = http.Rate(http.credential_key("trello", "one-a-minute"), 1, 60.0)
    respx.get("https://acme.example/x").mock(return_value=httpx.Response(200, json={}))
    r = remote(budgets=(rate,), budget=LocalBudget(budget_clock), clock=remote_clock)

    async def twice() -> None:
        await r.request("GET", "/x")
        await r.request("GET", "/x")

    asyncio.run(twice())
    assert budget_clock.monotonic() - 1000.0 >= 60.0
    assert remote_clock.monotonic() == 1000.0


def test_budget_is_shared_by_every_remote_of_one_credential() -> None:
    """Two clients with the same credential draw from one window; another credential does not."""
    pacer = LocalBudget(FakeClock())
    shared = http.Rate(http.credential_key("trello", "same-token"), 2, 10)
    other = http.Rate(http.credential_key("trello", "other-token"), 2, 10)
    assert pacer.try_acquire((shared,)) == 0 and pacer.try_acquire((shared,)) == 0
    assert pacer.try_acquire((shared,)) > 0
    assert pacer.try_acquire((other,)) == 0


def test_retry_after_parses_seconds_dates_and_reset_header() -> None:
    """Retry-After in seconds or as an HTTP date, or X-RateLimit-Reset, gives a wait."""
    assert http.parse_retry_after({"retry-after": "7"}) == 7.0
    assert http.parse_retry_after({"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}) == 0.0
    assert http.parse_retry_after({}, default=3.0) == 3.0
    assert http.parse_retry_after({"x-ratelimit-reset": "2015-10-21T07:28Z"}) == 0.0


def test_adaptive_limit_halves_on_429_and_grows_back() -> None:
    """Concurrency halves on a rate-limit error and grows by one after enough successes."""

    async def scenario() -> list[int]:
        limit = http.AdaptiveLimit(8, grow_after=2)
        seen = []
        with pytest.raises(RateLimitedError):
            async with limit:
                raise RateLimitedError("slow down", retry_after=0)
        seen.append(limit.limit)
        for _ in range(2):
            async with limit:
                pass
        seen.append(limit.limit)
        return seen

    assert asyncio.run(scenario()) == [4, 5]


def test_remote_usage_headers_fill_the_window_after_a_restart() -> None:
    """A fresh process told by the remote that 95 of 100 were used waits instead of bursting."""
    pacer = LocalBudget(FakeClock())
    key = http.Rate(http.credential_key("trello", "token-after-restart"), 90, 10)
    pacer.observe(key, 95)  # the remote counts more than this window holds: the limit is full
    assert pacer.try_acquire((key,)) > 0
    other = http.Rate(http.credential_key("trello", "quiet-token"), 90, 10)
    pacer.observe(other, 3)
    assert pacer.try_acquire((other,)) == 0


@respx.mock
def test_usage_headers_are_read_from_every_answer() -> None:
    """Remote feeds the remaining/max headers of each answer into the budget's window."""
    pacer = LocalBudget()
    key = http.Rate(http.credential_key("trello", "hdr-token"), 90, 10)
    headers = {"x-rate-limit-api-token-remaining": "0", "x-rate-limit-api-token-max": "100"}
    respx.get("https://acme.example/x").mock(return_value=httpx.Response(200, headers=headers))
    r = http.Remote(
        http.make_client("https://acme.example"),
        service="trello",
        budget=pacer,
        usage_headers={key: ("x-rate-limit-api-token-remaining", "x-rate-limit-api-token-max")},
    )
    asyncio.run(r.request("GET", "/x"))
    assert pacer.try_acquire((key,)) > 0


@pytest.mark.parametrize("size", [10, http.LARGE_BODY + 10], ids=["small", "large"])
def test_answers_small_and_large_decode_alike_and_bad_json_is_transient(size: int) -> None:
    """Small answers go through orjson, large ones through the standard library (no document
    tree at 15 times the body): the same values; JSON that is not JSON is a TransientError
    saying where, either way."""
    remote = http.Remote(httpx.AsyncClient(), service="jira")
    value = {
        "issues": [{"id": str(n), "key": f"ACME-{n}", "x": "é" * 5} for n in range(size // 60)]
    }
    body = json.dumps(value).encode()
    assert (len(body) >= http.LARGE_BODY) == (size > http.LARGE_BODY)
    assert remote.decode(body, "GET", "https://jira.test/rest/api/3/search") == value
    with pytest.raises(TransientError, match="GET /rest/api/3/search: the answer is not JSON"):
        remote.decode(body[:-1], "GET", "https://jira.test/rest/api/3/search")
    assert remote.decode(b"", "GET", "https://jira.test/x") is None


def test_every_client_shares_one_tls_context_that_verifies(monkeypatch: pytest.MonkeyPatch) -> None:
    """The CA bundle is loaded once per process, not once per connector built (about 50 ms of
    CPU each: a daemon builds two for every client's every cycle), and certificates are still
    verified, host names included."""
    loads: list[object] = []
    load = ssl.SSLContext.load_verify_locations

    def counted(self: ssl.SSLContext, *args: Any, **kwargs: Any) -> None:
        loads.append(args or kwargs)
        load(self, *args, **kwargs)

    monkeypatch.setattr(ssl.SSLContext, "load_verify_locations", counted)
    http.tls_context.cache_clear()
    clients = [http.make_client(f"https://site{n}.example") for n in range(3)]
    assert len(loads) == 1
    context = http.tls_context()
    assert context.verify_mode == ssl.CERT_REQUIRED and context.check_hostname
    for client in clients:
        asyncio.run(client.aclose())
