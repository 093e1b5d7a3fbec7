"""Budgets every process of a deployment shares, on any number of machines.

Both keep one rolling window per credential where every process sees it, take a slot
atomically (no two processes can both take the last one) and read the time from the server,
so machines whose clocks disagree still agree on the window.

* `RedisBudget`: a sorted set of request times per credential (`syncd:rate:<key>`), checked
  and filled by one Lua script: one round trip of about 0.1 ms per request, nothing on disk,
  the key expiring with its window. Chosen whenever the broker is Redis.
* `PostgresBudget`: one row per credential in `rate_windows` (an UNLOGGED table: the windows
  last seconds, so a crash may lose them and no write-ahead log is spent on them), its times
  as a JSON list, read `FOR UPDATE` in key order (a request needing two credentials cannot
  deadlock another) and written back in the same transaction, by `syncd.store.rates`. Chosen
  when the store is PostgreSQL and the broker is not Redis (RabbitMQ, or the embedded one
  beside `syncd sync`).

A budget the process cannot reach is a TransientError: the request is retried, then the job,
rather than sent over budget.
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from typing import TYPE_CHECKING, Any

from syncd.clock import SYSTEM, Clock
from syncd.errors import TransientError
from syncd.rate import Observations, Rate
from syncd.store.rates import take as take_windows

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

PREFIX = "syncd:rate:"

# KEYS: one sorted set per rate. ARGV: a unique request id, then per key its limit, its window
# in ms and the remote's count of used requests (-1: none seen). Returns the wait in ms as a
# string (Lua numbers come back as integers otherwise), "0" when the slot was taken.
TAKE = """
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local wait = 0
for i, key in ipairs(KEYS) do
  local limit = tonumber(ARGV[3 * i - 1])
  local span = tonumber(ARGV[3 * i])
  local used = tonumber(ARGV[3 * i + 1])
  redis.call('ZREMRANGEBYSCORE', key, '-inf', now - span)
  local count = redis.call('ZCARD', key)
  local missing = math.min(used, limit) - count
  for j = 1, missing do
    redis.call('ZADD', key, now, ARGV[1] .. ':seen:' .. i .. ':' .. j)
  end
  count = count + math.max(missing, 0)
  redis.call('PEXPIRE', key, math.ceil(span) + 1000)
  if count >= limit then
    local at = redis.call('ZRANGE', key, count - limit, count - limit, 'WITHSCORES')
    wait = math.max(wait, tonumber(at[2]) + span - now)
  end
end
if wait > 0 then
  return tostring(wait)
end
for i, key in ipairs(KEYS) do
  redis.call('ZADD', key, now, ARGV[1] .. ':' .. i)
end
return '0'
"""


class RedisBudget:
    """Rolling windows in Redis, shared by every process that uses the same Redis."""

    shared = True
    clock: Clock = SYSTEM

    def __init__(self, url: str) -> None:
        import redis

        self._client = redis.Redis.from_url(url, socket_timeout=5.0, socket_connect_timeout=5.0)
        self._take = self._client.register_script(TAKE)
        self._seen = Observations()

    def try_acquire(self, rates: Sequence[Rate]) -> float:
        import redis

        seen = self._seen.take(rates)
        args: list[Any] = [uuid.uuid4().hex]
        for rate in rates:
            args += [rate.limit, rate.seconds * 1000, seen.get(rate, -1)]
        try:
            wait_ms = self._take(keys=[PREFIX + rate.key for rate in rates], args=args)
        except redis.RedisError as exc:
            raise TransientError(f"rate budget in Redis: {type(exc).__name__}") from exc
        return float(wait_ms) / 1000

    def observe(self, rate: Rate, used: int) -> None:
        self._seen.add(rate, used)

    def close(self) -> None:
        self._client.close()


class PostgresBudget:
    """Rolling windows in PostgreSQL's `rate_windows`, shared by every process of the store."""

    shared = True
    clock: Clock = SYSTEM

    def __init__(self, engine: Engine) -> None:
        self.engine = engine
        self._seen = Observations()

    def try_acquire(self, rates: Sequence[Rate]) -> float:
        seen = self._seen.take(rates)
        keys = sorted({rate.key for rate in rates})
        return take_windows(
            self.engine, keys, lambda now, stamps: _decide(rates, seen, now, stamps)
        )

    def observe(self, rate: Rate, used: int) -> None:
        self._seen.add(rate, used)

    def close(self) -> None:
        return None  # the engine is the runtime's


def _decide(
    rates: Sequence[Rate], seen: dict[Rate, int], now: float, stamps: dict[str, list[float]]
) -> tuple[float, dict[str, list[float]]]:
    """The wait before a request may go under every one of `rates` (0: it goes now, and its
    time joins each window), and the windows to keep: times older than a window dropped, and
    the remote's count of used requests (`seen`) made up for with requests at `now`."""
    wait = 0.0
    for rate in rates:
        window = [s for s in stamps[rate.key] if s > now - rate.seconds]
        missing = min(seen.get(rate, -1), rate.limit) - len(window)
        window += [now] * max(0, missing)
        if len(window) >= rate.limit:
            wait = max(wait, window[len(window) - rate.limit] + rate.seconds - now)
        stamps[rate.key] = window
    if wait <= 0:
        for rate in rates:
            stamps[rate.key].append(now)
    return wait, stamps
