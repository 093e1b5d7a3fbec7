"""What every handler shares: the state, the config, counters, faults and webhook sender."""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import datetime
from typing import TYPE_CHECKING, Any

from syncd.sandbox.chat import ChatInbox
from syncd.sandbox.config import Faults, SandboxConfig
from syncd.sandbox.state import State
from syncd.sandbox.stats import Stats

if TYPE_CHECKING:
    from syncd.sandbox.webhooks import Dispatcher


@dataclass
class Context:
    """Shared by the ASGI app, the `Sandbox` object and the simulated team."""

    config: SandboxConfig
    state: State
    dispatcher: Dispatcher
    stats: Stats = field(default_factory=Stats)
    faults: Faults = field(default_factory=Faults)
    latency_ms: int = 0
    base_url: str = "http://127.0.0.1"
    team_rng: random.Random = field(default_factory=lambda: random.Random(0))
    chat: ChatInbox = field(default_factory=ChatInbox)  # Slack / Teams messages received
    # search snapshots: token id -> ordered issue keys (so paging is exact while data changes)
    snapshots: dict[int, list[str]] = field(default_factory=dict)
    next_snapshot: int = 1
    # parsed-and-run queries: (jql, state version, clock) -> (bounded, ordered issue keys)
    search_cache: dict[tuple[str, int, datetime], tuple[bool, list[str]]] = field(
        default_factory=dict
    )
    # rendered issues: (state version, clock, flavour, fields, expand, properties, key) -> JSON;
    # a bench's repeated pulls then cost the sandbox a dump, not a render, of each issue
    render_cache: dict[tuple[Any, ...], dict[str, Any]] = field(default_factory=dict)
