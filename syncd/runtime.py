"""What a syncd process holds: settings, the engine, the loaded clients, the request budget,
the clock."""

from __future__ import annotations

import gc
import threading
from collections.abc import Mapping
from dataclasses import dataclass, field

from sqlalchemy.engine import Engine

from syncd import budget
from syncd.clientdir import ClientDirectory
from syncd.clients import Client
from syncd.clock import SYSTEM, Clock
from syncd.db import make_engine
from syncd.errors import ConfigError
from syncd.settings import Settings, load_settings


@dataclass
class Runtime:
    """`clients` is the process's `ClientDirectory` (a plain mapping in some tests); `clock` is
    what its jobs' leases, retries and waits read (a `FakeClock` in some tests)."""

    settings: Settings
    engine: Engine
    clients: Mapping[str, Client] = field(default_factory=dict)
    budget: budget.Budget = field(default_factory=budget.LocalBudget)
    clock: Clock = SYSTEM

    def client(self, client_id: str) -> Client:
        """A running client by id, its file re-read first when it changed (a stat of it)."""
        if isinstance(self.clients, ClientDirectory):
            self.clients.refresh_client(client_id)
        client = self.clients.get(client_id)
        if client is None:
            raise ConfigError(f"{client_id}.toml › (file): no such client is loaded")
        return client


_current: Runtime | None = None
_lock = threading.Lock()


def load(settings: Settings | None = None, *, strict: bool = True) -> Runtime:
    """Build the runtime from settings; with `strict`, any invalid client file is an error."""
    settings = settings or load_settings()
    clients = ClientDirectory(settings.clients_dir)
    problems = clients.problems()
    if not settings.clients_dir.is_dir():
        problems.append(f"{settings.clients_dir} › (dir): no such directory")
    if problems and strict:
        raise ConfigError(problems)
    engine = make_engine(settings.db_url)
    rates = (
        budget.for_settings(settings.broker_url, settings.db_url, engine)
        if settings.rate_budget == "shared"
        else budget.LocalBudget()
    )
    return Runtime(settings, engine, clients, rates)


def install(runtime: Runtime) -> Runtime:
    """Make `runtime` the process's, its budget the one every connector draws from."""
    global _current
    with _lock:
        _current = runtime
    budget.install(runtime.budget)
    return runtime


def current() -> Runtime:
    """The process's runtime, loaded from the environment on first use (a bare worker)."""
    global _current
    with _lock:
        if _current is None:
            _current = load()
            budget.install(_current.budget)
        return _current


def freeze_startup_heap() -> None:
    """Take what start-up built (modules, settings, clients) out of the garbage collector's walks.

    A pull allocates hundreds of thousands of short-lived containers, and each full collection
    otherwise walks every object the imports made: a fifth of a 10,000-issue pull's time
    (bench/pull.py). What is frozen stays, as it would have anyway.
    """
    gc.collect()
    gc.freeze()
