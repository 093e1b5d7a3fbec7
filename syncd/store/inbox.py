"""The webhook inbox's memory: which bodies were taken, and how long rows and keys are kept.

A delivery is a repeat when its delivery id (the inbox row's dedupe key) or the digest of its
body was seen before. Both are kept for `RETENTION` by default: far longer than trackers retry
(Jira for hours, Trello for minutes), and then expired by the scheduler with the ended inbox rows,
so deliveries never add up in the store. A body sent again after that only asks for one more
pull of its connector, which is what a webhook does anyway.
"""

from __future__ import annotations

import logging
from datetime import timedelta

from sqlalchemy import delete
from sqlalchemy.engine import Engine
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from syncd.clock import SYSTEM, Clock
from syncd.db import Job, WebhookDigest
from syncd.model import utcnow
from syncd.store.base import sessions
from syncd.store.jobs import JobState
from syncd.store.work import JobKind

log = logging.getLogger(__name__)

RETENTION = timedelta(days=7)
EXPIRE_EVERY = 3600.0  # seconds between two expiry passes of the scheduler


def remember(session: Session, key: str) -> bool:
    """Note a body's digest key in the caller's transaction; False when it was seen before."""
    if session.get(WebhookDigest, key) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(WebhookDigest(key=key, seen=utcnow()))
    except IntegrityError:  # a concurrent delivery of the same body took it first
        return False
    return True


def expire(engine: Engine, *, keep: timedelta = RETENTION, clock: Clock = SYSTEM) -> int:
    """Delete ended (done or dead) inbox rows and body digests older than `keep` (by `clock`);
    how many."""
    cutoff = clock.now() - keep
    with sessions(engine).begin() as session:
        rows = session.execute(
            delete(Job).where(
                Job.kind == JobKind.WEBHOOK,
                Job.state.in_((JobState.DONE, JobState.DEAD)),
                Job.updated < cutoff,
            )
        )
        digests = session.execute(delete(WebhookDigest).where(WebhookDigest.seen < cutoff))
        gone = int(rows.rowcount) + int(digests.rowcount)  # type: ignore[attr-defined]
    if gone:
        log.info("webhook inbox: %d row(s) and key(s) older than %s expired", gone, keep)
    return gone
