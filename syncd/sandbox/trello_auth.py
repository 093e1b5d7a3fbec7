"""Trello's gate: `key` and `token` (query or OAuth header), and its rate limits.

With limits on, each token gets `trello_token_limit` requests per window and each key
`trello_key_limit`; beyond that 429 with Trello's JSON. The `x-rate-limit-*` headers go on
every response, as Trello sends them.
"""

from __future__ import annotations

import json
import re
import threading
import time
from urllib.parse import parse_qs

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from syncd.sandbox.context import Context

CREDENTIAL_KEY = "sandbox.credential"
OAUTH_PARAM = re.compile(r'(oauth_[a-z_]+)="([^"]*)"')


class Window:
    """A fixed-window counter per name."""

    def __init__(self, limit: int, window_s: float) -> None:
        self.limit = limit
        self.window_s = window_s
        self._counts: dict[str, tuple[float, int]] = {}
        self._lock = threading.Lock()

    def hit(self, name: str) -> tuple[bool, int]:
        """Count a request; (allowed, remaining)."""
        now = time.monotonic()
        with self._lock:
            start, count = self._counts.get(name, (now, 0))
            if now - start >= self.window_s:
                start, count = now, 0
            count += 1
            self._counts[name] = (start, count)
        return count <= self.limit, max(self.limit - count, 0)


def credentials(scope: Scope) -> tuple[str, str]:
    """The key and token from the query string or an `Authorization: OAuth` header."""
    query = parse_qs(scope.get("query_string", b"").decode("latin-1"))
    key = query.get("key", [""])[0]
    token = query.get("token", [""])[0]
    header = dict(scope["headers"]).get(b"authorization", b"").decode("latin-1")
    if header.lower().startswith("oauth "):
        params = dict(OAUTH_PARAM.findall(header))
        key = key or params.get("oauth_consumer_key", "")
        token = token or params.get("oauth_token", "")
    return key, token


class TrelloAuth:
    """Checks credentials, applies the rate limits, adds the rate-limit headers."""

    def __init__(self, app: ASGIApp, ctx: Context) -> None:
        self.app = app
        self.ctx = ctx
        cfg = ctx.config
        self.tokens = Window(cfg.trello_token_limit, cfg.trello_window_s)
        self.keys = Window(cfg.trello_key_limit, cfg.trello_window_s)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        key, token = credentials(scope)
        creds = self.ctx.config.creds
        scope[CREDENTIAL_KEY] = f"trello:{key or '-'}/{token[:8] or '-'}"
        wrong = creds.trello_pair(key, token)
        if wrong:
            await plain(send, 401, wrong.encode())
            return
        if scope["method"] not in ("GET", "HEAD") and not self.ctx.state.trello_token_writes:
            await plain(send, 401, b"unauthorized permission requested")
            return
        refused, headers = self.limit_headers(key, token)
        if refused:
            await self.refuse(send, refused)
            return
        await self.app(scope, receive, with_headers(send, headers))

    def limit_headers(self, key: str, token: str) -> tuple[str, list[tuple[bytes, bytes]]]:
        """Count the request: the error code when over a limit (else ""), and the headers."""
        token_ok, token_left = self.tokens.hit(token)
        key_ok, key_left = self.keys.hit(key)
        if self.ctx.config.trello_limits and not (token_ok and key_ok):
            return ("API_TOKEN_LIMIT_EXCEEDED" if not token_ok else "API_KEY_LIMIT_EXCEEDED"), []
        interval = str(int(self.tokens.window_s * 1000)).encode()
        return "", [
            (b"x-rate-limit-api-token-interval-ms", interval),
            (b"x-rate-limit-api-token-max", str(self.tokens.limit).encode()),
            (b"x-rate-limit-api-token-remaining", str(token_left).encode()),
            (b"x-rate-limit-api-key-interval-ms", interval),
            (b"x-rate-limit-api-key-max", str(self.keys.limit).encode()),
            (b"x-rate-limit-api-key-remaining", str(key_left).encode()),
        ]

    async def refuse(self, send: Send, code: str) -> None:
        """Trello's 429."""
        body = json.dumps({"error": code, "message": "Rate limit exceeded"}).encode()
        self.ctx.stats.fault("trello-429")
        await send(
            {
                "type": "http.response.start",
                "status": 429,
                "headers": [
                    (b"content-type", b"application/json; charset=utf-8"),
                    (b"content-length", str(len(body)).encode()),
                    (b"x-rate-limit-api-token-max", str(self.tokens.limit).encode()),
                    (b"x-rate-limit-api-token-remaining", b"0"),
                    (b"x-rate-limit-api-key-max", str(self.keys.limit).encode()),
                ],
            }
        )
        await send({"type": "http.response.body", "body": body})


def with_headers(send: Send, headers: list[tuple[bytes, bytes]]) -> Send:
    """Wrap `send` so the response start carries `headers`."""

    async def wrapped(message: Message) -> None:
        if message["type"] == "http.response.start":
            message = {**message, "headers": [*message.get("headers", []), *headers]}
        await send(message)

    return wrapped


async def plain(send: Send, status: int, body: bytes) -> None:
    """A plain-text answer, as Trello gives for auth errors."""
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [
                (b"content-type", b"text/plain; charset=utf-8"),
                (b"content-length", str(len(body)).encode()),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
