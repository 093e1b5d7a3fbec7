"""Reading a webhook delivery's body: capped while it streams in, and JSON the store can keep."""

from __future__ import annotations

import hashlib
import json
from typing import Any

import orjson
from starlette.requests import Request


class TooLarge(Exception):
    """The body is longer than the limit (said by Content-Length, or seen while reading)."""


async def read_capped(request: Request, limit: int) -> bytes:
    """The whole body, at most `limit` bytes of it held at any time.

    A Content-Length above the limit is refused before anything is read; a streamed (chunked)
    body as soon as its bytes pass the limit, leaving the rest unread. Raises `TooLarge`, and
    starlette's `ClientDisconnect` when the sender goes away (or the server closed a slow body).
    """
    declared = request.headers.get("content-length", "")
    if declared.strip().isdigit() and int(declared) > limit:
        raise TooLarge
    body = bytearray()
    async for chunk in request.stream():
        body += chunk
        if len(body) > limit:
            raise TooLarge
    return bytes(body)


def parse_object(body: bytes) -> dict[str, Any] | str:
    """The body as a JSON object the store can write, or a message saying what is wrong.

    JSON that Python reads but the store's JSON writer (orjson) refuses, such as an integer
    outside 64 bits or a lone surrogate, is refused here rather than failing at the insert.
    """
    try:
        value = json.loads(body)
    except RecursionError:
        return "body is not a JSON object: nested too deeply"
    except (ValueError, UnicodeDecodeError) as exc:
        return f"body is not a JSON object: {exc}"
    if not isinstance(value, dict):
        return "body is not a JSON object"
    try:
        orjson.dumps(value, option=orjson.OPT_NON_STR_KEYS)  # as syncd.db writes JSON columns
    except orjson.JSONEncodeError as exc:
        return f"body cannot be stored: {exc}"
    return value


def digest(body: bytes) -> str:
    """The hex SHA-256 of a body: the same delivery re-sent under any delivery id has it."""
    return hashlib.sha256(body).hexdigest()
