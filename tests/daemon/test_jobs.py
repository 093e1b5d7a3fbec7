"""Durable jobs: claim with a lease, retry with backoff, dead letters, replay, dedupe, sweeping."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from sqlalchemy import update
from sqlalchemy.engine import Engine

from syncd import jobs, scheduler, store
from syncd.db import Job
from syncd.model import utcnow

LEASE = timedelta(minutes=1)


def add(engine: Engine, kind: str = "pull", dedupe: str | None = None, **kw: object) -> int | None:
    with store.sessions(engine).begin() as session:
        job = jobs.enqueue(session, kind, "acme", target="acme-jira", dedupe=dedupe, **kw)  # type: ignore[arg-type]
        if job is None:
            return None
        session.flush()
        return job.id


def test_a_job_is_claimed_once(engine: Engine) -> None:
    """Two workers claiming the same row: one gets it, the other nothing."""
    job_id = add(engine)
    assert job_id is not None
    first = jobs.claim(engine, job_id, lease=LEASE)
    second = jobs.claim(engine, job_id, lease=LEASE)
    assert first is not None and first.attempts == 1 and second is None


def test_an_expired_lease_can_be_claimed_again(engine: Engine) -> None:
    """A worker that died holding a lease: after the lease runs out another worker claims it."""
    job_id = add(engine)
    assert job_id is not None
    assert jobs.claim(engine, job_id, lease=timedelta(seconds=-1)) is not None
    again = jobs.claim(engine, job_id, lease=LEASE)
    assert again is not None and again.attempts == 2


def test_dedupe_keeps_one_live_row_and_frees_the_key_when_done(engine: Engine) -> None:
    """One pending pull per connector; after it is done a new one can be queued."""
    first = add(engine, dedupe="pull:acme:acme-jira")
    assert first is not None
    assert add(engine, dedupe="pull:acme:acme-jira") is None
    jobs.claim(engine, first, lease=LEASE)
    jobs.complete(engine, first)
    assert add(engine, dedupe="pull:acme:acme-jira") is not None


def test_webhook_keys_are_kept_after_the_row_ends(engine: Engine) -> None:
    """A redelivered webhook whose first delivery was processed is still recognised."""
    first = add(engine, kind="webhook", dedupe="webhook:acme:jira:d-1")
    assert first is not None
    jobs.claim(engine, first, lease=LEASE)
    jobs.complete(engine, first)
    assert add(engine, kind="webhook", dedupe="webhook:acme:jira:d-1") is None


def test_transient_failures_retry_then_become_dead_letters(engine: Engine) -> None:
    """A failing job is retried with a delay until max_attempts, then it is a dead letter."""
    job_id = add(engine, max_attempts=2)
    assert job_id is not None
    jobs.claim(engine, job_id, lease=LEASE)
    delay = jobs.fail(engine, job_id, "502", permanent=False)
    assert delay is not None and delay > 0
    assert jobs.claim(engine, job_id, lease=LEASE) is None  # not due yet
    with store.sessions(engine).begin() as session:
        session.execute(update(Job).where(Job.id == job_id).values(due_at=utcnow()))
    assert jobs.claim(engine, job_id, lease=LEASE) is not None
    assert jobs.fail(engine, job_id, "502 again", permanent=False) is None
    [dead] = jobs.list_dead(engine)
    assert dead.id == job_id and dead.last_error == "502 again"


def test_retry_after_sets_the_delay(engine: Engine) -> None:
    """A rate-limited job waits exactly the Retry-After the remote asked for."""
    job_id = add(engine)
    assert job_id is not None
    jobs.claim(engine, job_id, lease=LEASE)
    assert jobs.fail(engine, job_id, "429", permanent=False, retry_after=42.0) == 42.0


def test_permanent_failure_is_dead_at_once_and_replay_revives_it(engine: Engine) -> None:
    """A permanent error is not retried; replay makes the dead letter pending, attempts reset."""
    job_id = add(engine)
    assert job_id is not None
    jobs.claim(engine, job_id, lease=LEASE)
    assert jobs.fail(engine, job_id, "401", permanent=True) is None
    assert jobs.replay(engine, job_id) is True
    assert jobs.replay(engine, job_id) is False
    claimed = jobs.claim(engine, job_id, lease=LEASE)
    assert claimed is not None and claimed.attempts == 1


def test_sweeper_sends_lost_and_crashed_jobs_once_per_cover(engine: Engine) -> None:
    """Due rows no message covers are sent; a just-sent row is not sent again at once."""
    fresh = add(engine)
    crashed = add(engine, dedupe="x")
    assert fresh is not None and crashed is not None
    jobs.claim(engine, crashed, lease=timedelta(seconds=-1))  # its worker died
    sent: list[tuple[str, int]] = []
    assert scheduler.sweep(engine, lambda kind, job_id: sent.append((kind, job_id))) == 2
    assert sorted(job_id for _, job_id in sent) == sorted([fresh, crashed])
    assert scheduler.sweep(engine, lambda kind, job_id: sent.append((kind, job_id))) == 0


def test_only_one_scheduler_holds_the_lease(engine: Engine) -> None:
    """Two processes: the first to take the lease schedules, the other waits."""
    assert scheduler.hold_lease(engine, "a") is True
    assert scheduler.hold_lease(engine, "b") is False
    assert scheduler.hold_lease(engine, "a") is True


def test_poll_interval_and_cron_decide_the_next_pull(tmp_path: Path) -> None:
    """Without cron the next pull is poll_minutes away; with cron it is the next cron time."""
    from syncd.clients import load_client

    base = 'name = "A"\ntimezone = "Europe/Berlin"\npoll_minutes = 10\n{cron}' + CLIENT_CONNECTOR
    (tmp_path / "a.toml").write_text(base.format(cron=""))
    (tmp_path / "b.toml").write_text(base.format(cron='cron = "0 7 * * 1-5"\n'))
    now = datetime(2026, 11, 27, 12, 0, tzinfo=UTC)  # a Friday, 13:00 in Berlin
    plain = load_client(tmp_path, "a", env={"T": "x"})
    cron = load_client(tmp_path, "b", env={"T": "x"})
    assert scheduler.next_due(plain, now) == now + timedelta(minutes=10)
    assert scheduler.next_due(cron, now) == datetime(2026, 11, 30, 6, 0, tzinfo=UTC)  # Mon 07:00


def test_a_bad_cron_is_a_config_error(tmp_path: Path) -> None:
    """A cron expression that does not parse is reported on its field."""
    from syncd.clients import load_clients

    (tmp_path / "c.toml").write_text('name = "C"\ncron = "every monday"\n' + CLIENT_CONNECTOR)
    _, problems = load_clients(tmp_path, env={"T": "x"})
    assert any(p.startswith("c.toml › cron: Value error, not a cron expression") for p in problems)


CLIENT_CONNECTOR = """
[[connectors]]
kind = "jira"
id = "j"
url = "https://x.atlassian.net"
email = "a@b.c"
token_env = "T"
jql = "project = X"
"""


def test_a_message_of_another_kind_does_not_claim_the_row(engine: Engine) -> None:
    """A push message naming a pull row (another deployment's id) leaves the row alone."""
    job_id = add(engine)
    assert job_id is not None
    assert jobs.claim(engine, job_id, lease=LEASE, kind="push") is None
    claimed = jobs.claim(engine, job_id, lease=LEASE, kind="pull")
    assert claimed is not None and claimed.attempts == 1
