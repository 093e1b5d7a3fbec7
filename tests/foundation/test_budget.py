"""Request budgets per credential: in this process, in Redis and in PostgreSQL, and shared by
several processes at once."""

from __future__ import annotations

import multiprocessing
import time
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from syncd import budget, runtime
from syncd.budget import Budget, LocalBudget, credential_key
from syncd.budget_shared import PostgresBudget, RedisBudget
from syncd.clock import FakeClock
from syncd.db import make_engine
from syncd.errors import TransientError
from syncd.migrate import upgrade
from syncd.rate import Rate
from syncd.settings import load_settings
from tests.daemon.harness import free_port
from tests.foundation.budget_children import EACH, LIMIT, WINDOW, build, take_some
from tests.services import REDIS_URL, require, scratch_postgres

BACKENDS = [
    "local",
    pytest.param("redis", marks=pytest.mark.redis),
    pytest.param("postgres", marks=pytest.mark.postgres),
]


@pytest.fixture(scope="module")
def postgres_url() -> Iterator[str]:
    """One scratch database with the schema, for this module's PostgreSQL cases."""
    with scratch_postgres() as url:
        engine = make_engine(url)
        upgrade(engine)
        engine.dispose()
        yield url


def service_url(kind: str, request: pytest.FixtureRequest) -> str:
    if kind == "redis":
        require("redis")
        return REDIS_URL
    if kind == "postgres":
        return str(request.getfixturevalue("postgres_url"))
    return ""


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> Iterator[Budget]:
    kind = str(request.param)
    made = build(kind, service_url(kind, request))
    yield made
    made.close()
    if isinstance(made, PostgresBudget):
        made.engine.dispose()


def rate(limit: int, seconds: float = 60.0) -> Rate:
    """A rate of its own for each test: parallel runs never share a window."""
    return Rate(credential_key("test", uuid.uuid4().hex), limit, seconds)


def test_limit_holds_and_the_wait_is_until_the_oldest_leaves(backend: Budget) -> None:
    """Three of three per minute pass; the fourth waits, at most the window."""
    three = rate(3)
    assert [backend.try_acquire((three,)) for _ in range(3)] == [0.0] * 3
    assert 0 < backend.try_acquire((three,)) <= 60.0


def test_a_request_takes_every_rate_or_none(backend: Budget) -> None:
    """Refused by one full window, a request takes no slot in the other (Trello: key and token)."""
    token, key = rate(1), rate(2)
    assert backend.try_acquire((token, key)) == 0
    assert backend.try_acquire((token, key)) > 0  # the token is spent
    assert backend.try_acquire((key,)) == 0  # the key had one slot left, still there
    assert backend.try_acquire((key,)) > 0


def test_the_window_slides_on_the_budgets_clock() -> None:
    """Once the wait it named has passed on the budget's clock, the window has room again, and
    not a moment before (a fake clock: no real second passes)."""
    clock = FakeClock()
    local = LocalBudget(clock)
    short = rate(2, seconds=30)
    assert local.try_acquire((short,)) == 0
    clock.advance(10)
    assert local.try_acquire((short,)) == 0
    wait = local.try_acquire((short,))
    assert 0 < wait <= 20
    clock.advance(wait - 1)
    assert local.try_acquire((short,)) > 0
    clock.advance(1.001)
    assert local.try_acquire((short,)) == 0  # the first slot left; the second is still held
    assert local.try_acquire((short,)) > 0


@pytest.fixture(params=BACKENDS[1:])
def shared_backend(request: pytest.FixtureRequest) -> Iterator[Budget]:
    kind = str(request.param)
    made = build(kind, service_url(kind, request))
    yield made
    made.close()
    if isinstance(made, PostgresBudget):
        made.engine.dispose()


def test_a_shared_window_slides(shared_backend: Budget) -> None:
    """Once the wait it named has passed, a shared window has room again. Shared windows run on
    the server's clock (Redis's, PostgreSQL's), which no fake clock reaches: this one test waits
    the real wait the window named."""
    short = rate(2, seconds=0.3)
    assert shared_backend.try_acquire((short,)) == 0
    assert shared_backend.try_acquire((short,)) == 0
    wait = shared_backend.try_acquire((short,))
    assert 0 < wait <= 0.3
    time.sleep(wait + 0.05)
    assert shared_backend.try_acquire((short,)) == 0


def test_remote_counts_fill_the_window(backend: Budget) -> None:
    """The remote saying 95 of 100 were used fills a 90 window; saying 3 leaves room."""
    busy, quiet = rate(90), rate(90)
    backend.observe(busy, 95)
    backend.observe(quiet, 3)
    assert backend.try_acquire((busy,)) > 0
    assert backend.try_acquire((quiet,)) == 0


@pytest.mark.redis
def test_redis_keys_name_the_credential_by_hash_only() -> None:
    """What Redis holds names a credential by its hash: the secret itself is nowhere."""
    require("redis")
    import redis

    secret = f"s3cret-{uuid.uuid4().hex}"
    shared = RedisBudget(REDIS_URL)
    shared.try_acquire((Rate(credential_key("trello-token", secret), 5, 10),))
    client = redis.Redis.from_url(REDIS_URL)
    keys = [k.decode() for k in client.scan_iter("syncd:rate:*")]
    assert f"syncd:rate:{credential_key('trello-token', secret)}" in keys
    assert not any(secret in k for k in keys)
    client.close()
    shared.close()


@pytest.mark.postgres
def test_postgres_rows_name_the_credential_by_hash_only(postgres_url: str) -> None:
    """The `rate_windows` table names a credential by its hash: the secret itself is nowhere."""
    secret = f"s3cret-{uuid.uuid4().hex}"
    shared = PostgresBudget(make_engine(postgres_url))
    shared.try_acquire((Rate(credential_key("trello-token", secret), 5, 10),))
    with shared.engine.connect() as conn:
        dump = str(conn.execute(sa.text("select * from rate_windows")).all())
        logged = conn.execute(
            sa.text("select relpersistence from pg_class where relname = 'rate_windows'")
        ).scalar_one()
    assert credential_key("trello-token", secret) in dump and secret not in dump
    assert logged == "u"  # UNLOGGED: no write-ahead log spent on windows of seconds
    shared.engine.dispose()


@pytest.mark.parametrize("kind", ["redis", "postgres"])
def test_an_unreachable_budget_is_a_transient_error(kind: str) -> None:
    """A budget that cannot be reached refuses the request as transient (retried, then the job)
    instead of letting it through over budget, and says which store it could not reach."""
    port = free_port()
    if kind == "redis":
        unreachable: Budget = RedisBudget(f"redis://127.0.0.1:{port}/0")
    else:
        unreachable = PostgresBudget(make_engine(f"postgresql://postgres@127.0.0.1:{port}/test"))
    with pytest.raises(TransientError, match="Redis" if kind == "redis" else "PostgreSQL"):
        unreachable.try_acquire((rate(5),))
    unreachable.close()


def test_settings_choose_the_budget(tmp_path: Path) -> None:
    """Redis broker: Redis; PostgreSQL store: PostgreSQL; the embedded default: this process."""
    sqlite = f"sqlite:///{tmp_path / 'x.db'}"
    postgres = "postgresql://postgres@127.0.0.1:5432/test"
    redis_budget = budget.for_settings("redis://127.0.0.1:6379/0", postgres)
    assert isinstance(redis_budget, RedisBudget)
    redis_budget.close()
    assert isinstance(budget.for_settings("amqp://guest@127.0.0.1/", postgres), PostgresBudget)
    assert isinstance(budget.for_settings("embedded", postgres), PostgresBudget)
    assert isinstance(budget.for_settings("embedded", sqlite), LocalBudget)


def test_installing_a_runtime_installs_its_budget(tmp_path: Path) -> None:
    """Every connector of a process draws from the budget its settings chose."""
    (tmp_path / "config" / "clients").mkdir(parents=True)
    settings = load_settings(config_dir=tmp_path / "config", data_dir=tmp_path / "data")
    before = budget.current()
    rt = runtime.install(runtime.load(settings))
    try:
        assert isinstance(rt.budget, LocalBudget) and budget.current() is rt.budget
    finally:
        budget.install(before)
        rt.engine.dispose()


# -- several processes, one budget ------------------------------------------------------------

PROCESSES = 4


def certain_overruns(spans: list[tuple[float, float]]) -> int:
    """Windows that surely held more than LIMIT slots: LIMIT + 1 slots whose calls all fall
    within WINDOW seconds, however the calls were delayed."""
    spans = sorted(spans)
    overruns = 0
    for i in range(len(spans) - LIMIT):
        group = spans[i : i + LIMIT + 1]
        if max(end for _, end in group) - group[0][0] < WINDOW:
            overruns += 1
    return overruns


def run_processes(kind: str, url: str) -> list[tuple[float, float]]:
    ctx = multiprocessing.get_context("spawn")
    go, out = ctx.Barrier(PROCESSES + 1), ctx.Queue()
    shared = rate(LIMIT, WINDOW)
    procs = [
        ctx.Process(target=take_some, args=(kind, url, shared, go, out)) for _ in range(PROCESSES)
    ]
    for proc in procs:
        proc.start()
    go.wait(120)
    spans = [span for _ in procs for span in out.get(timeout=120)]
    for proc in procs:
        proc.join(timeout=30)
        assert proc.exitcode == 0
    return spans


@pytest.mark.parametrize("kind", BACKENDS)
def test_processes_sharing_a_budget_never_overrun_a_window(
    kind: str, request: pytest.FixtureRequest
) -> None:
    """Four processes taking slots from one shared budget never put more than the limit in any
    rolling window; four local budgets (the control) do, which shows the check can fail."""
    spans = run_processes(kind, service_url(kind, request))
    assert len(spans) == PROCESSES * EACH
    if kind == "local":
        assert certain_overruns(spans) > 0
    else:
        assert certain_overruns(spans) == 0


def test_process_setting_keeps_each_process_its_own(tmp_path: Path) -> None:
    """SYNCD_RATE_BUDGET=process (the benchmark's control) keeps the budget in the process even
    with a Redis broker and a PostgreSQL store; `shared` (the default) puts it in Redis."""
    (tmp_path / "config" / "clients").mkdir(parents=True)
    shared = {
        "config_dir": tmp_path / "config",
        "broker_url": "redis://127.0.0.1:6379/0",
        "database_url": "postgresql://postgres@127.0.0.1:5432/test",
    }
    for choice, kind in (("process", LocalBudget), ("shared", RedisBudget)):
        rt = runtime.load(load_settings(**shared, rate_budget=choice))
        assert isinstance(rt.budget, kind)
        rt.budget.close()
        rt.engine.dispose()


def test_a_bare_worker_installs_its_budget_on_first_use(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """An actor run by a worker that never called `install` (`runtime.current()` loading from
    the environment) still draws from the budget its settings chose."""
    (tmp_path / "config" / "clients").mkdir(parents=True)
    monkeypatch.setenv("SYNCD_CONFIG_DIR", str(tmp_path / "config"))
    monkeypatch.setenv("SYNCD_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setattr(runtime, "_current", None)
    before = budget.current()
    rt = runtime.current()
    try:
        assert budget.current() is rt.budget and rt.budget is not before
    finally:
        budget.install(before)
        rt.engine.dispose()
