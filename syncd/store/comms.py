"""The communication plan's tables: its deliveries (one per client, entry and status date),
the feedback they received, and the keys the deployment signs feedback links with."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from syncd.db import Delivery, Feedback, SigningKey
from syncd.model import utcnow
from syncd.store.base import sessions


def add_delivery(
    session: Session,
    *,
    key: str,
    client: str,
    entry: str,
    status_date: date,
    channel: str,
    form: str,
    reason: str,
    audience: list[str],
    message_id: str,
) -> bool:
    """A new delivery, `queued`, in the caller's transaction; False when its key exists."""
    row = Delivery(
        key=key,
        client=client,
        entry=entry,
        status_date=status_date,
        channel=channel,
        form=form,
        reason=reason[:200],
        audience=audience,
        state="queued",
        message_id=message_id,
        attempts=0,
        created=utcnow(),
    )
    try:
        with session.begin_nested():
            session.add(row)
    except IntegrityError:
        return False
    return True


def set_delivery(engine: Engine, key: str, **values: Any) -> None:
    """Change columns of one delivery (its state, error, times, subject)."""
    with sessions(engine).begin() as session:
        session.execute(update(Delivery).where(Delivery.key == key).values(**values))


def get_delivery(engine: Engine, key: str) -> Delivery | None:
    with sessions(engine)() as session:
        return session.execute(select(Delivery).where(Delivery.key == key)).scalar()


def requeue_delivery(session: Session, key: str) -> Delivery | None:
    """Make a delivery `queued` again, its error cleared, in the caller's transaction; None when
    there is no such delivery."""
    row = session.execute(select(Delivery).where(Delivery.key == key)).scalar()
    if row is None:
        return None
    row.state, row.error = "queued", None
    return row


def deliveries(engine: Engine, client: str, *, limit: int = 50) -> list[Delivery]:
    """The client's communication log, newest first."""
    with sessions(engine)() as session:
        rows = session.execute(
            select(Delivery)
            .where(Delivery.client == client)
            .order_by(Delivery.created.desc(), Delivery.id.desc())
            .limit(limit)
        ).scalars()
        return list(rows)


def signing_key(engine: Engine, name: str, make: Callable[[], str]) -> str:
    """The deployment's signing key `name`, made by `make` when there is none yet (the first
    writer wins a race)."""
    with sessions(engine)() as session:
        row = session.get(SigningKey, name)
        if row is not None:
            return row.value
    try:
        with sessions(engine).begin() as session:
            session.add(SigningKey(name=name, value=make()))
    except IntegrityError:
        pass
    return signing_key(engine, name, make)


def answered(engine: Engine, delivery_key: str) -> bool:
    """Whether a delivery's feedback link was answered."""
    with sessions(engine)() as session:
        found = session.execute(select(Feedback.id).where(Feedback.delivery == delivery_key))
        return found.first() is not None


def add_feedback(engine: Engine, delivery_key: str, score: int, comment: str) -> bool:
    """Store one answer to a delivery; False when it was answered before or names no
    delivery."""
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
                    comment=comment,
                    at=utcnow(),
                )
            )
    except IntegrityError:
        return False
    return True


def scores(engine: Engine, client: str) -> list[tuple[date, int]]:
    """Every answer's status date and score, for one client."""
    with sessions(engine)() as session:
        rows = session.execute(
            select(Feedback.status_date, Feedback.score).where(Feedback.client == client)
        ).all()
    return [(day, score) for day, score in rows]


def latest_feedback(engine: Engine, client: str, *, limit: int) -> list[Feedback]:
    """A client's newest answers, newest first."""
    with sessions(engine)() as session:
        rows = session.execute(
            select(Feedback).where(Feedback.client == client).order_by(Feedback.at.desc())
        ).scalars()
        return list(rows)[:limit]
