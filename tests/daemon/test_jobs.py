"""Durable jobs: claim with a lease, retry with backoff, dead letters, replay, dedupe, sweeping."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import text, update
from sqlalchemy.engine import Engine

from syncd import scheduler, store
from syncd.clock import SYSTEM, Clock, FakeClock
from syncd.db import Job
from syncd.model import StatusPush, utcnow
from syncd.store import jobs
from syncd.store.jobs import JobState
from syncd.store.work import JobKind, PullJob, PushJob, WebhookJob, Work
from tests.daemon.harness import wait_for

LEASE = timedelta(minutes=1)


PULL = PullJob()


def add(engine: Engine, work: Work = PULL, dedupe: str | None = None, **kw: Any) -> int | None:
    with store.sessions(engine).begin() as session:
        job = jobs.enqueue(session, work, "acme", target="acme-jira", dedupe=dedupe, **kw)
        if job is None:
            return None
        session.flush()
        return job.id


def pushing(headline: str) -> PushJob:
    """A push of a status whose headline is `headline` to one target."""
    status = StatusPush("acme", "green", headline, markdown="", adf={}, wiki="", machine={})
    return PushJob(source="acme-jira", target="ACME-1", status=status)


def held(
    engine: Engine, job_id: int | None, lease: timedelta = LEASE, *, clock: Clock = SYSTEM
) -> jobs.Claimed:
    assert job_id is not None
    claimed = jobs.claim(engine, job_id, lease=lease, clock=clock)
    assert claimed is not None
    return claimed


def lease_until(engine: Engine, job_id: int) -> datetime | None:
    with store.sessions(engine)() as session:
        row = session.get(Job, job_id)
        assert row is not None
        return row.lease_until


def renewed(engine: Engine, job_id: int, before: datetime) -> Callable[[], bool]:
    """A check: the row's lease now ends later than `before`."""
    return lambda: (lease_until(engine, job_id) or before) > before


def test_a_job_is_claimed_once(engine: Engine) -> None:
    """Two workers claiming the same row: one gets it, the other nothing."""
    job_id = add(engine)
    assert job_id is not None
    first = jobs.claim(engine, job_id, lease=LEASE)
    second = jobs.claim(engine, job_id, lease=LEASE)
    assert first is not None and first.attempts == 1 and second is None


def test_an_expired_lease_can_be_claimed_again(engine: Engine) -> None:
    """A worker that died holding a lease: while the lease lasts no other worker claims the row;
    once it has run out (on the clock the workers read) another worker claims it."""
    clock = FakeClock()
    job_id = add(engine, clock=clock)
    assert job_id is not None
    assert jobs.claim(engine, job_id, lease=LEASE, clock=clock) is not None
    clock.advance(LEASE - timedelta(seconds=1))
    assert jobs.claim(engine, job_id, lease=LEASE, clock=clock) is None
    clock.advance(timedelta(seconds=2))
    again = jobs.claim(engine, job_id, lease=LEASE, clock=clock)
    assert again is not None and again.attempts == 2


def test_dedupe_keeps_one_live_row_and_frees_the_key_when_done(engine: Engine) -> None:
    """One pending pull per connector; after it is done a new one can be queued."""
    first = add(engine, dedupe="pull:acme:acme-jira")
    assert first is not None
    assert add(engine, dedupe="pull:acme:acme-jira") is None
    jobs.complete(engine, held(engine, first))
    assert add(engine, dedupe="pull:acme:acme-jira") is not None


def test_webhook_keys_are_kept_after_the_row_ends(engine: Engine) -> None:
    """A redelivered webhook whose first delivery was processed is still recognised."""
    first = add(engine, WebhookJob("acme-jira", "d-1"), dedupe="webhook:acme:jira:d-1")
    assert first is not None
    jobs.complete(engine, held(engine, first))
    assert add(engine, WebhookJob("acme-jira", "d-1"), dedupe="webhook:acme:jira:d-1") is None


def test_transient_failures_retry_then_become_dead_letters(engine: Engine) -> None:
    """A failing job is retried once its backoff delay has passed (not before) until
    max_attempts, then it is a dead letter."""
    clock = FakeClock()
    job_id = add(engine, max_attempts=2, clock=clock)
    assert job_id is not None
    delay = jobs.fail(
        engine, held(engine, job_id, clock=clock), "502", permanent=False, clock=clock
    )
    assert delay is not None and delay > 0
    clock.advance(delay * 0.9)
    assert jobs.claim(engine, job_id, lease=LEASE, clock=clock) is None  # not due yet
    clock.advance(delay * 0.1 + 0.001)
    again = held(engine, job_id, clock=clock)
    assert jobs.fail(engine, again, "502 again", permanent=False, clock=clock) is None
    [dead] = jobs.list_dead(engine)
    assert dead.id == job_id and dead.last_error == "502 again"


def test_retry_after_sets_the_delay(engine: Engine) -> None:
    """A rate-limited job waits exactly the Retry-After the remote asked for."""
    job_id = add(engine)
    assert job_id is not None
    assert jobs.fail(engine, held(engine, job_id), "429", permanent=False, retry_after=42.0) == 42.0


def test_permanent_failure_is_dead_at_once_and_replay_revives_it(engine: Engine) -> None:
    """A permanent error is not retried; replay makes the dead letter pending, attempts reset."""
    job_id = add(engine)
    assert job_id is not None
    assert jobs.fail(engine, held(engine, job_id), "401", permanent=True) is None
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


def test_the_sweeper_re_sends_a_crashed_workers_row_when_its_lease_runs_out(
    engine: Engine,
) -> None:
    """A row whose worker died is not re-sent while its lease lasts on the sweeper's clock, and
    is once it has run out."""
    clock = FakeClock()
    crashed = add(engine, clock=clock)
    held(engine, crashed, clock=clock)  # its worker dies holding it
    sent: list[int] = []
    assert scheduler.sweep(engine, lambda kind, job_id: sent.append(job_id), clock=clock) == 0
    clock.advance(LEASE + timedelta(seconds=1))
    assert scheduler.sweep(engine, lambda kind, job_id: sent.append(job_id), clock=clock) == 1
    assert sent == [crashed]


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


def test_a_request_made_while_the_job_runs_makes_it_run_once_more(engine: Engine) -> None:
    """A newer status queued while its push is running is not dropped: the row runs again."""
    key = "push:acme:jira:ACME-1"
    job_id = add(engine, pushing("old"), dedupe=key)
    running = held(engine, job_id)
    assert add(engine, pushing("new"), dedupe=key) is None
    assert add(engine, pushing("newer"), dedupe=key) is None
    assert jobs.complete(engine, running) is True  # asked for again: pending, not done
    again = held(engine, job_id)
    assert again.carried(PushJob).status.headline == "newer" and again.attempts == 1
    assert jobs.complete(engine, again) is False  # nothing new meanwhile: done
    assert add(engine, pushing("next"), dedupe=key) is not None


def test_a_worker_whose_lease_was_taken_over_leaves_the_row_alone(engine: Engine) -> None:
    """The first worker outlived its lease; the second holds the row; the first's outcome is
    not recorded over the second's, and it can no longer renew."""
    job_id = add(engine)
    first = held(engine, job_id, lease=timedelta(seconds=-1))
    second = held(engine, job_id)
    assert jobs.renew(engine, first, lease=LEASE) is False
    assert jobs.complete(engine, first) is False
    with pytest.raises(jobs.LeaseLost):
        jobs.fail(engine, first, "late", permanent=True)
    assert jobs.renew(engine, second, lease=LEASE) is True
    assert jobs.pending(engine, "acme") == [] and jobs.list_dead(engine) == []
    assert jobs.complete(engine, second) is False


def test_a_renewed_lease_is_not_swept(engine: Engine) -> None:
    """A live worker renews its short lease, so the sweeper does not hand the row to another."""
    job_id = add(engine)
    claimed = held(engine, job_id, lease=timedelta(seconds=-1))
    assert jobs.renew(engine, claimed, lease=LEASE) is True
    assert scheduler.sweep(engine, lambda kind, job_id: None) == 0
    assert jobs.claim(engine, claimed.id, lease=LEASE) is None


def test_a_running_job_keeps_its_lease_and_loses_it_when_its_worker_stops(engine: Engine) -> None:
    """The heartbeat renews the lease every third of it while the job runs: for three leases
    no other worker can claim the row nor the sweeper re-send it; once the worker is gone (no
    heartbeat) the lease runs out and another worker takes the row. The clock is a fake one
    that the test moves a beat at a time."""
    from syncd.actors import Heartbeat

    clock, lease = FakeClock(), timedelta(seconds=30)
    job_id = add(engine, clock=clock)
    assert job_id is not None
    claimed = held(engine, job_id, lease=lease, clock=clock)
    with Heartbeat(engine, claimed, lease, clock=clock):
        for _ in range(9):
            wait_for(lambda: clock.waiters == 1, 30, "the heartbeat to wait", every=0.01)
            before = lease_until(engine, job_id)
            assert before is not None
            clock.advance(lease / 3)
            wait_for(renewed(engine, job_id, before), 30, "a beat", every=0.01)
            assert jobs.claim(engine, job_id, lease=LEASE, clock=clock) is None
            assert scheduler.sweep(engine, lambda kind, job_id: None, clock=clock) == 0
    clock.advance(lease - timedelta(seconds=1))
    assert jobs.claim(engine, job_id, lease=LEASE, clock=clock) is None
    clock.advance(timedelta(seconds=2))
    taken = jobs.claim(engine, job_id, lease=LEASE, clock=clock)
    assert taken is not None and taken.attempts == 2


def test_a_row_claimed_after_the_sweeper_read_it_is_not_sent_again(engine: Engine) -> None:
    """The sweeper reads a due row, a worker claims it, then the sweeper marks what it read:
    the claimed row keeps its lease (else a second worker would run it beside the first)."""
    fresh = add(engine)
    other = add(engine)
    now = utcnow()
    claimed = held(engine, fresh)
    with store.sessions(engine).begin() as session:
        assert jobs.mark_sent(session, [fresh, other], now) == [other]  # type: ignore[list-item]
    assert jobs.complete(engine, claimed) is False  # held still: done, nothing asked again
    with store.sessions(engine)() as session:
        row = session.get(Job, fresh)
        assert row is not None and row.state == "done"


def test_the_scheduler_runs_its_upkeep_hourly_and_only_while_it_holds_the_lease(
    engine: Engine,
) -> None:
    """The webhook upkeep runs on the first step, not again until `upkeep_every` has passed,
    and never in a process that does not hold the scheduler lease."""
    calls: list[str] = []
    clock = FakeClock()
    first = scheduler.Scheduler(
        engine,
        [],
        lambda kind, job_id: None,
        upkeep=lambda: calls.append("a"),
        upkeep_every=3600,
        clock=clock,
    )
    second = scheduler.Scheduler(
        engine,
        [],
        lambda kind, job_id: None,
        upkeep=lambda: calls.append("b"),
        upkeep_every=0,
        clock=clock,
    )
    second.owner = "another-process"
    first.step()
    clock.advance(3599)
    first.step()
    clock.advance(10)  # the scheduler lease (30 s) is renewed by each step: still the first's
    second.step()
    assert calls == ["a"]
    first.step()
    assert calls == ["a", "a"]


def test_a_row_that_waited_long_is_re_sent_with_a_longer_cover(engine: Engine) -> None:
    """When the workers are behind, a row's first message is most likely still queued: the
    sweeper re-sends a row due 10 minutes ago with a cover of 8 minutes, not 1, so a backlog
    does not fill the broker with a copy of every row each minute."""
    fresh, waiting = add(engine), add(engine)
    now = utcnow()
    with store.sessions(engine).begin() as session:
        session.execute(
            update(Job).where(Job.id == waiting).values(due_at=now - timedelta(minutes=10))
        )
    assert sorted(jobs.sendable(engine)) == sorted([fresh, waiting])  # type: ignore[type-var]
    with store.sessions(engine)() as session:
        covers = {
            job_id: session.get(Job, job_id).lease_until - now  # type: ignore[union-attr,operator]
            for job_id in (fresh, waiting)
        }
    assert timedelta(seconds=59) <= covers[fresh] <= timedelta(seconds=61)
    assert timedelta(minutes=8) <= covers[waiting] <= timedelta(minutes=8, seconds=1)
    assert jobs.cover(timedelta(hours=5)) == jobs.SEND_COVER * 32


def test_kinds_and_states_are_stored_as_the_words_the_table_always_held(engine: Engine) -> None:
    """The job kinds and states are enums whose values are the jobs table's words: a row queued
    now holds `push`/`pending` as plain text, and a row written with plain words (by an earlier
    syncd) is claimed with its kind as the enum and ends `done`."""
    job_id = add(engine, pushing("now"), dedupe="push:acme:jira:ACME-1")
    with engine.connect() as conn:
        raw = conn.execute(
            text("SELECT kind, state FROM jobs WHERE id = :id"), {"id": job_id}
        ).one()
    assert (raw[0], raw[1]) == ("push", "pending") and type(raw[0]) is str
    now = utcnow()
    with store.sessions(engine).begin() as session:
        old = Job(
            kind="pull", client="acme", target="acme-jira", payload={}, state="pending",
            attempts=0, max_attempts=5, due_at=now, created=now, updated=now,
        )  # fmt: skip
        session.add(old)
        session.flush()
        old_id = old.id
    claimed = jobs.claim(engine, old_id, lease=LEASE, kind=JobKind.PULL)
    assert claimed is not None and claimed.kind is JobKind.PULL
    assert jobs.complete(engine, claimed) is False
    with engine.connect() as conn:
        state = conn.execute(text("SELECT state FROM jobs WHERE id = :id"), {"id": old_id})
        assert state.scalar_one() == JobState.DONE == "done"


def queued(engine: Engine, work: Work, target: str, *, clock: Clock = SYSTEM) -> int | None:
    """Queue `work` for `target`, a push under its target's live key (as the pipeline does)."""
    key = jobs.live_key(work.kind, "acme", target) if work.kind in jobs.LATEST_WINS else None
    with store.sessions(engine).begin() as session:
        job = jobs.enqueue(session, work, "acme", target=target, dedupe=key, clock=clock)
        if job is None:
            return None
        session.flush()
        return job.id


def died(engine: Engine, work: Work, target: str, error: str, *, clock: Clock = SYSTEM) -> int:
    """Queue `work` for `target` and let it fail for good."""
    job_id = queued(engine, work, target, clock=clock)
    assert job_id is not None
    assert jobs.fail(engine, held(engine, job_id, clock=clock), error, permanent=True) is None
    return job_id


def state_of(engine: Engine, job_id: int) -> str:
    row = jobs.get(engine, job_id)
    assert row is not None
    return row.state


ISSUE = "acme-jira:ACME-1"


def test_a_targets_dead_pushes_are_one_failure_and_a_replay_sends_the_newest(
    engine: Engine,
) -> None:
    """Two statuses that could not reach one issue are one failure (two dead letters, the first
    and the latest time, the latest error); replaying it, by either job, queues the newest
    status alone, under the target's key, and sets the older one aside."""
    clock = FakeClock()
    first = died(engine, pushing("monday"), ISSUE, "NotFoundError: ACME-1", clock=clock)
    clock.advance(timedelta(hours=1))
    newest = died(engine, pushing("tuesday"), ISSUE, "NotFoundError: ACME-1 (2)", clock=clock)
    pull = died(engine, PULL, "acme-jira", "AuthError: 401", clock=clock)
    push, alone = sorted(jobs.failures(engine, "acme"), key=lambda f: f.kind != "push")
    assert (push.kind, push.target, push.failed, push.job_id) == ("push", ISSUE, 2, newest)
    assert push.message == "NotFoundError: ACME-1 (2)" and push.first_at < push.last_at
    assert (alone.kind, alone.failed, alone.job_id) == ("pull", 1, pull)
    assert jobs.replay_job(engine, first) == jobs.Replayed(queued=newest, set_aside=(first,))
    assert (state_of(engine, newest), state_of(engine, first)) == ("pending", "superseded")
    assert [f.job_id for f in jobs.failures(engine, "acme")] == [pull]
    assert queued(engine, pushing("wednesday"), ISSUE) is None
    claimed = held(engine, newest)
    assert claimed.carried(PushJob).status.headline == "wednesday"  # the newest still wins
    assert jobs.replay_job(engine, first) is None and jobs.replay(engine, first) is False


def test_a_replay_queues_nothing_when_a_push_of_the_target_is_live(engine: Engine) -> None:
    """A push of the target queued since the dead ones carries a newer status: replaying sets
    every dead push there aside and queues none (the target gets one push, the live one)."""
    older = died(engine, pushing("monday"), ISSUE, "NotFoundError")
    newer = died(engine, pushing("tuesday"), ISSUE, "NotFoundError")
    live = queued(engine, pushing("wednesday"), ISSUE)
    assert live is not None
    assert jobs.replay_job(engine, newer) == jobs.Replayed(queued=None, set_aside=(newer, older))
    assert jobs.list_dead(engine) == [] and [j.id for j in jobs.pending(engine, "acme")] == [live]


def test_a_push_that_lands_sets_aside_the_older_dead_pushes_of_its_target(engine: Engine) -> None:
    """Once a newer status has reached the target, its older dead pushes are moot (replaying
    one would write a stale status over it); a dead push to another target stays."""
    moot = died(engine, pushing("monday"), ISSUE, "NotFoundError")
    other = died(engine, pushing("monday"), "acme-jira:ACME-2", "NotFoundError")
    landed = queued(engine, pushing("tuesday"), ISSUE)
    assert jobs.complete(engine, held(engine, landed)) is False
    assert state_of(engine, moot) == "superseded"
    assert [j.id for j in jobs.list_dead(engine)] == [other]


def test_replay_all_replays_each_push_target_once(engine: Engine) -> None:
    """`dlq replay --all`: one push per target (its newest), every other dead letter."""
    a1 = died(engine, pushing("a1"), ISSUE, "NotFoundError")
    a2 = died(engine, pushing("a2"), ISSUE, "NotFoundError")
    b1 = died(engine, pushing("b1"), "acme-jira:ACME-2", "NotFoundError")
    p1 = died(engine, PULL, "acme-jira", "AuthError")
    p2 = died(engine, PULL, "acme-jira", "AuthError")
    done = jobs.replay_all(engine)
    assert sorted(r.queued for r in done if r.queued) == [a2, b1, p1, p2]
    assert [r.set_aside for r in done if r.set_aside] == [(a1,)]
    assert jobs.list_dead(engine) == []


def test_a_deferred_job_is_woken_when_its_clients_job_ends_and_nothing_else_is(
    engine: Engine,
) -> None:
    """A job deferred because its client was busy is brought forward, oldest first and one at
    a time, when one of the client's jobs ends; a pull queued with a delay, or a job backing off
    after a failure (deferred once, before it ran), keeps its due time."""
    clock = FakeClock(datetime(2026, 12, 4, 12, tzinfo=UTC))
    delayed = add(engine, PullJob(), dedupe="later", delay=600, clock=clock)
    first, second = add(engine, pushing("a"), clock=clock), add(engine, pushing("b"), clock=clock)
    retrying = add(engine, pushing("c"), clock=clock)
    assert first and second and retrying and delayed
    jobs.defer(engine, retrying, clock=clock)
    clock.advance(timedelta(seconds=6))
    jobs.fail(engine, held(engine, retrying, clock=clock), "boom", permanent=False, clock=clock)
    jobs.defer(engine, first, clock=clock)
    jobs.defer(engine, second, clock=clock)

    assert jobs.wake(engine, "acme", clock=clock) == (JobKind.PUSH, first)
    woken = held(engine, first, clock=clock)  # runnable now, its payload as it was
    assert woken.payload["status"]["headline"] == "a" and jobs.BUSY not in woken.payload
    assert jobs.wake(engine, "acme", clock=clock) == (JobKind.PUSH, second)
    assert jobs.wake(engine, "acme", clock=clock) is None  # neither the delayed nor the retrying
    assert jobs.claim(engine, delayed, lease=LEASE, clock=clock) is None
    assert jobs.claim(engine, retrying, lease=LEASE, clock=clock) is None
