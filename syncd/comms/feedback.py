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

from sqlalchemy import select
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError

from syncd.db import Delivery, Feedback, SigningKey
from syncd.model import utcnow
from syncd.store import sessions

KEY_NAME = "feedback"
MAX_COMMENT = 2000
MAX_TOKEN = 400


def signing_key(engine: Engine) -> bytes:
    """The deployment's feedback key, made once (the first writer wins a race)."""
    with sessions(engine)() as session:
        row = session.get(SigningKey, KEY_NAME)
        if row is not None:
            return row.value.encode()
    try:
        with sessions(engine).begin() as session:
            session.add(SigningKey(name=KEY_NAME, value=secrets.token_urlsafe(48)))
    except IntegrityError:
        pass
    return signing_key(engine)


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


def answered(engine: Engine, delivery_key: str) -> bool:
    with sessions(engine)() as session:
        found = session.execute(select(Feedback.id).where(Feedback.delivery == delivery_key))
        return found.first() is not None


def record(engine: Engine, delivery_key: str, score: int, comment: str) -> bool:
    """Store one answer; False when the link was answered before (or names no delivery)."""
    if not 1 <= score <= 5:
        raise ValueError("score must be 1 to 5")
    with sessions(engine)() as session:
        row = session.execute(select(Delivery).where(Delivery.key == delivery_key)).scalar()
        if row is None:
            return False
        client, day = row.client, row.status_date
    try:
        with sessions(engine).begin() as session:
            session.add(
                Feedback(
                    delivery=delivery_key,
                    client=client,
                    status_date=day,
                    score=score,
                    comment=comment[:MAX_COMMENT],
                    at=utcnow(),
                )
            )
    except IntegrityError:
        return False
    return True


def trend(engine: Engine, client: str) -> list[tuple[date, float, int]]:
    """Per status date: the mean score and the number of answers, oldest first."""
    with sessions(engine)() as session:
        rows = session.execute(
            select(Feedback.status_date, Feedback.score).where(Feedback.client == client)
        ).all()
    days: dict[date, list[int]] = {}
    for day, score in rows:
        days.setdefault(day, []).append(score)
    return [(d, sum(s) / len(s), len(s)) for d, s in sorted(days.items())]


def answers(engine: Engine, client: str, *, limit: int = 20) -> list[Answer]:
    with sessions(engine)() as session:
        rows = session.execute(
            select(Feedback).where(Feedback.client == client).order_by(Feedback.at.desc())
        ).scalars()
        return [Answer(r.client, r.status_date, r.score, r.comment) for r in list(rows)[:limit]]
