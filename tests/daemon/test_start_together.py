"""Processes of one deployment started at the same moment on an empty database all start; one
that cannot start says why in one line and exits non-zero."""

from __future__ import annotations

import socket
import subprocess
import sys
from collections.abc import Iterator
from contextlib import ExitStack
from pathlib import Path

import httpx
import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import text

from syncd.migrate import alembic_config, current_revision
from syncd.sandbox import Sandbox, SandboxConfig
from tests.daemon import harness as h
from tests.services import RABBITMQ_URL, REDIS_URL, require, scratch_postgres

HEAD = ScriptDirectory.from_config(alembic_config("sqlite://")).get_current_head()
FIRST = "Running upgrade  -> 0001"  # alembic's line for the first migration (at DEBUG)


@pytest.fixture(scope="module")
def sandbox() -> Iterator[Sandbox]:
    with Sandbox(SandboxConfig(seed=16, jira_issues=20, trello_cards=10)) as sb:
        yield sb


def deployment(root: Path, sandbox: Sandbox, *, database_url: str, broker_url: str) -> h.Deployment:
    dep = h.Deployment(root, sandbox, database_url=database_url, broker_url=broker_url)
    dep.webhooks = False
    dep.write_clients([("acme", "ACME", sandbox.board_ids[0])], poll=60)
    return dep


def spawn(dep: h.Deployment, *verb: str, env: dict[str, str]) -> subprocess.Popen[bytes]:
    log = (dep.root / f"{'-'.join(verb)}-{len(dep.procs)}.log").open("wb")
    proc = subprocess.Popen(
        [sys.executable, "-m", "syncd", *verb],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
        cwd=dep.root,
    )
    dep.procs.append(proc)
    return proc


def logs(dep: h.Deployment) -> str:
    return "".join(p.read_text(errors="replace") for p in sorted(dep.root.glob("*.log")))


def digest(dep: h.Deployment) -> str:
    """The last lines above DEBUG of each process's log, for a failure message."""
    parts = []
    for path in sorted(dep.root.glob("*.log")):
        lines = [ln for ln in path.read_text(errors="replace").splitlines() if " DEBUG " not in ln]
        parts.append(f"--- {path.name}\n" + "\n".join(lines[-40:]))
    return "\n".join(parts)


def healthy(url: str) -> bool:
    try:
        return httpx.get(f"{url}/healthz", timeout=2).status_code == 200
    except httpx.HTTPError:
        return False


@pytest.mark.parametrize(
    "backend",
    [
        pytest.param("postgres+rabbitmq", marks=[pytest.mark.postgres, pytest.mark.rabbitmq]),
        pytest.param("sqlite+redis", marks=pytest.mark.redis),
    ],
)
def test_four_processes_started_at_once_on_an_empty_database(
    backend: str, tmp_path: Path, sandbox: Sandbox
) -> None:
    """`syncd db upgrade` twice, `syncd run` and `syncd worker` at the same moment: the
    upgrades exit 0, the daemon serves /healthz, the worker runs, the schema is migrated once."""
    database, broker = backend.split("+")
    require(broker)
    with ExitStack() as stack:
        db_url = stack.enter_context(scratch_postgres()) if database == "postgres" else ""
        dep = deployment(
            tmp_path,
            sandbox,
            database_url=db_url,
            broker_url=RABBITMQ_URL if broker == "rabbitmq" else REDIS_URL,
        )
        stack.callback(dep.kill_all)
        env = dep.env() | {"SYNCD_LOG_LEVEL": "DEBUG"}  # alembic names each migration it runs
        verbs = [("db", "upgrade"), ("run",), ("db", "upgrade"), ("worker",)]
        upgrades = [spawn(dep, *verb, env=env) for verb in verbs][0::2]
        run, worker = dep.procs[1], dep.procs[3]
        for proc in upgrades:
            assert proc.wait(timeout=120) == 0, digest(dep)
        h.wait_for(lambda: healthy(dep.url) or run.poll() is not None, 120, "/healthz")
        h.wait_for(lambda: "worker running on" in logs(dep) or worker.poll(), 120, "the worker")
        assert run.poll() is None and worker.poll() is None, digest(dep)
        assert healthy(dep.url), digest(dep)
        engine = dep.engine()
        with engine.connect() as conn:
            assert conn.execute(text("SELECT version_num FROM alembic_version")).all() == [(HEAD,)]
        engine.dispose()
        assert logs(dep).count(FIRST) == 1, digest(dep)
        assert "Traceback" not in logs(dep)


@pytest.mark.redis
def test_a_worker_waits_for_the_schema_instead_of_migrating(
    tmp_path: Path, sandbox: Sandbox
) -> None:
    """`syncd worker` on an empty database says it waits, migrates nothing, and starts once
    `syncd db upgrade` has brought the schema to head."""
    require("redis")
    dep = deployment(tmp_path, sandbox, database_url="", broker_url=REDIS_URL)
    try:
        worker = spawn(dep, "worker", env=dep.env())
        h.wait_for(
            lambda: "waiting for the database schema" in logs(dep) or worker.poll() is not None,
            120,
            "the waiting line",
        )
        assert worker.poll() is None, digest(dep)
        engine = dep.engine()
        assert current_revision(engine) is None
        upgraded = subprocess.run(
            [sys.executable, "-m", "syncd", "db", "upgrade"],
            env=dep.env(),
            capture_output=True,
            check=False,
            timeout=120,
        )
        assert upgraded.returncode == 0, upgraded.stderr
        h.wait_for(lambda: "worker running on" in logs(dep), 120, "the worker")
        assert current_revision(engine) == HEAD
        engine.dispose()
    finally:
        dep.kill_all()


def one_line_failure(dep: h.Deployment, *verb: str, env: dict[str, str]) -> str:
    """Run a command that cannot start; its exit status is non-zero and its stderr is one line,
    which is returned."""
    done = subprocess.run(
        [sys.executable, "-m", "syncd", *verb],
        env=env,
        capture_output=True,
        check=False,
        timeout=120,
        cwd=dep.root,
    )
    stderr = done.stderr.decode()
    assert done.returncode != 0, stderr
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert "Traceback" not in stderr and len(lines) == 1, stderr
    return lines[0]


@pytest.mark.redis
def test_a_worker_nobody_migrates_for_stops_with_one_line(tmp_path: Path, sandbox: Sandbox) -> None:
    """Past SYNCD_SCHEMA_WAIT_SECONDS the worker exits 1 and says what to run."""
    require("redis")
    dep = deployment(tmp_path, sandbox, database_url="", broker_url=REDIS_URL)
    env = dep.env() | {"SYNCD_SCHEMA_WAIT_SECONDS": "0.5", "SYNCD_LOG_LEVEL": "WARNING"}
    line = one_line_failure(dep, "worker", env=env)
    assert line.startswith("error: database schema still at no revision after 0.5s")
    assert "`syncd db upgrade`" in line


@pytest.mark.parametrize("verb", [("run",), ("db", "upgrade"), ("worker",)])
def test_a_process_whose_database_is_unreachable_stops_with_one_line(
    verb: tuple[str, ...], tmp_path: Path, sandbox: Sandbox
) -> None:
    """No PostgreSQL on the port: `run`, `worker` and `db upgrade` exit 1 with one line naming
    the database (never its password)."""
    url = f"postgresql://syncd:hunter22@127.0.0.1:{h.free_port()}/syncd"
    dep = deployment(tmp_path, sandbox, database_url=url, broker_url=REDIS_URL)
    env = dep.env() | {"SYNCD_LOG_LEVEL": "WARNING"}
    line = one_line_failure(dep, *verb, env=env)
    assert line.startswith("error: database postgresql+psycopg://***@127.0.0.1:"), line
    assert "hunter22" not in line


def test_a_daemon_whose_port_is_taken_stops_with_one_line(tmp_path: Path, sandbox: Sandbox) -> None:
    """Another program on SYNCD_BIND: `syncd run` exits non-zero saying the address is in use."""
    dep = deployment(tmp_path, sandbox, database_url="", broker_url="embedded")
    with socket.socket() as taken:
        dep.port = h.free_port()
        taken.bind(("127.0.0.1", dep.port))
        taken.listen()
        line = one_line_failure(dep, "run", env=dep.env() | {"SYNCD_LOG_LEVEL": "WARNING"})
    assert "address already in use" in line
