"""The fake connector's harness: a `FakeWorld` of 30 items."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from syncd.clock import FakeClock
from syncd.connectors.fake import FakeConfig, FakeConnector, FakeWorld
from syncd.testing import Fault, Harness, HarnessFactory

OPERATIONS = {"POST": "create", "PUT": "edit", "GET": None, None: None}


class FakeHarness:
    """A `Harness` over one `FakeWorld`."""

    name = "fake"
    nochange_budget = 1
    status_cards = 0

    def __init__(self, world: FakeWorld) -> None:
        self.world = world
        self.clock = FakeClock()

    def connector(self, *, page_size: int = 7, bad_credentials: bool = False) -> FakeConnector:
        token = "wrong" if bad_credentials else self.world.token
        config = FakeConfig(id="fake", page_size=page_size, targets=["STATUS-1"], token=token)
        return FakeConnector(config, world=self.world, clock=self.clock)

    def item_ids(self) -> set[str]:
        return set(self.world.items)

    def seed_change(self, count: int = 1) -> list[str]:
        chosen = sorted(self.world.items)[:count]
        for ident in chosen:
            self.world.touch(ident, status="In Progress", category="in_progress")
        return chosen

    def break_one_item(self) -> str:
        ident = sorted(self.world.items)[3]
        self.world.break_item(ident)
        return ident

    def target(self) -> str:
        return "STATUS-1"

    def count_status_comments(self, target: str) -> int:
        return len(self.world.status_comments(target))

    def count_status_cards(self) -> int:
        return 0

    def inject(self, fault: Fault) -> None:
        self.world.inject(
            fault.kind,
            times=fault.times,
            operation=OPERATIONS.get(fault.method),
            retry_after=fault.retry_after,
        )

    def requests(self) -> int:
        return self.world.requests

    def writes(self) -> int:
        return self.world.writes


@contextmanager
def fake() -> Iterator[Harness]:
    """A world of 30 items."""
    world = FakeWorld()
    world.add_items(30)
    yield FakeHarness(world)


HARNESSES: dict[str, HarnessFactory] = {"fake": fake}
