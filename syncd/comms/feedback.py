"""Client feedback: a signed link per delivered report, a 1-5 score and a comment, one answer
per link, and the trend.

A link is ``/feedback/<token>`` where the token is the delivery key (base64url) and an
HMAC-SHA256 of it under a random key the store keeps (`signing_keys`, made on first use and
shared by every process of the deployment). Tokens are compared in constant time; a changed
key or client name gives a token that verifies nothing.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date

from sqlalchemy.engine import Engine

from syncd.store.comms import add_feedback, latest_feedback, scores
from syncd.store.comms import signing_key as stored_key

KEY_NAME = "feedback"
MAX_COMMENT = 2000
MAX_TOKEN = 400


def signing_key(engine: Engine) -> bytes:
    """The deployment's feedback key, made once (the first writer wins a race)."""
    return stored_key(engine, KEY_NAME, lambda: secrets.token_urlsafe(48)).encode()


def _mac(key: bytes, payload: str) -> str:
    digest = hmac.new(key, payload.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest).decode().rstrip("=")


def token(engine: Engine, delivery_key: str) -> str:
    payload = base64.urlsafe_b64encode(delivery_key.encode()).decode().rstrip("=")
    return f"{payload}.{_mac(signing_key(engine), payload)}"


def link(engine: Engine, public_url: str, delivery_key: str) -> str:
    """The feedback link of one delivery; empty when no public URL is set to build it on."""
    if not public_url:
        return ""
    return f"{public_url.rstrip('/')}/feedback/{token(engine, delivery_key)}"


def verify(engine: Engine, value: str) -> str | None:
    """The delivery key a token was signed for, or None for anything not signed by us."""
    if len(value) > MAX_TOKEN or value.count(".") != 1:
        return None
    payload, mac = value.split(".")
    if not hmac.compare_digest(mac.encode(), _mac(signing_key(engine), payload).encode()):
        return None
    try:
        return base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    except (binascii.Error, UnicodeDecodeError):
        return None


@dataclass(frozen=True)
class Answer:
    client: str
    status_date: date
    score: int
    comment: str


def record(engine: Engine, delivery_key: str, score: int, comment: str) -> bool:
    """Store one answer; False when the link was answered before (or names no delivery)."""
    if not 1 <= score <= 5:
        raise ValueError("score must be 1 to 5")
    return add_feedback(engine, delivery_key, score, comment[:MAX_COMMENT])


def trend(engine: Engine, client: str) -> list[tuple[date, float, int]]:
    """Per status date: the mean score and the number of answers, oldest first."""
    days: dict[date, list[int]] = {}
    for day, score in scores(engine, client):
        days.setdefault(day, []).append(score)
    return [(d, sum(s) / len(s), len(s)) for d, s in sorted(days.items())]


def answers(engine: Engine, client: str, *, limit: int = 20) -> list[Answer]:
    rows = latest_feedback(engine, client, limit=limit)
    return [Answer(r.client, r.status_date, r.score, r.comment) for r in rows]
