"""Deliveries and feedback in the store, on SQLite and PostgreSQL alike."""

from __future__ import annotations

from datetime import date

from sqlalchemy.engine import Engine

from syncd.clients import Client
from syncd.comms import delivery, feedback

DAY = date(2026, 11, 30)


def test_one_delivery_per_key_one_answer_per_link(engine: Engine, client: Client) -> None:
    """The same key twice makes one delivery and one job; a resend makes one more job; a link
    verifies only itself and takes one answer; the signing key is made once."""
    entry = delivery.entry_of(client, "weekly")
    first = delivery.request(engine, client, entry, DAY, reason="cadence")
    assert first is not None
    assert delivery.request(engine, client, entry, DAY, reason="again") is None
    key = delivery.key_of("acme", "weekly", DAY)
    assert delivery.resend(engine, key) == first  # its job is still waiting: that one is sent
    token = feedback.token(engine, key)
    assert feedback.token(engine, key) == token  # one key, made once
    assert feedback.verify(engine, token) == key
    assert feedback.verify(engine, token[:-1] + ("A" if token[-1] != "A" else "B")) is None
    assert feedback.record(engine, key, 5, "fine")
    assert not feedback.record(engine, key, 1, "twice")
    assert feedback.trend(engine, "acme") == [(DAY, 5.0, 1)]
