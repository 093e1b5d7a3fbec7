"""The seeded world: same seed, same world. Which generator builds it is chosen here: the demo's
story (`story`), the small demo board (`data.generate_demo_jira`) or `cfg.jira_issues` random
issues (`data`), each with its Trello half (`trello_data`)."""

from __future__ import annotations

import random
from datetime import timedelta

from syncd.sandbox import story, trello_data
from syncd.sandbox.clock import SimClock
from syncd.sandbox.config import SandboxConfig
from syncd.sandbox.data import add_users, generate_demo_jira, generate_jira
from syncd.sandbox.state import State


def generate(cfg: SandboxConfig) -> State:
    """Build the whole world for `cfg`; deterministic in `cfg.seed`."""
    state = State(SimClock(cfg.start), jira_timezone=cfg.jira_timezone)
    rng = random.Random(cfg.seed)
    add_users(state, cfg)
    if cfg.story:
        trello_data.add_members(state, cfg.start - timedelta(days=150))
        story.generate(state, rng, cfg.start)
        return state
    if cfg.demo:
        generate_demo_jira(state, rng)
    else:
        generate_jira(state, rng, cfg)
    trello_data.generate(state, rng, cfg)
    return state
