"""The Trello connector's harness: one sandbox board of 30 cards over real HTTP on loopback."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

import httpx
import respx
from pydantic import SecretStr

from syncd.clock import FakeClock
from syncd.connectors.base import MARKER
from syncd.connectors.config import Secrets
from syncd.connectors.trello.config import TrelloConfig, TrelloPush
from syncd.connectors.trello.connector import TrelloConnector
from syncd.sandbox import Sandbox, SandboxConfig
from syncd.sandbox.trello_data import move_card
from syncd.testing import Fault, FaultTransport, Harness, HarnessFactory
from tests.contracts import contract_errors

STATUS_LIST = "Review"
UNKNOWN_LIST = "0" * 24


def trello_config(
    sb: Sandbox, *, board: str | None = None, status_list: str = STATUS_LIST
) -> TrelloConfig:
    """A connector config for a sandbox board."""
    return TrelloConfig(
        kind="trello",
        id="acme-trello",
        url=sb.trello_url,
        board=board or sb.board_ids[0],
        key_env="TRELLO_KEY",
        token_env="TRELLO_TOKEN",
        push=TrelloPush(list=status_list),
    )


def trello_secrets(sb: Sandbox, *, token: str | None = None) -> Secrets:
    """The sandbox's key and token (or a wrong token)."""
    return Secrets(
        key=SecretStr(sb.creds.trello_key), token=SecretStr(token or sb.creds.trello_token)
    )


class TrelloHarness:
    """A `Harness` over the first board of a sandbox."""

    name = "trello"
    nochange_budget = 2
    status_cards = 1  # the status card on the board

    def __init__(self, sb: Sandbox) -> None:
        self.sb = sb
        self.clock = FakeClock()
        self.board = sb.board_ids[0]
        self.faults: list[Fault] = []
        self.corrupt: dict[str, Any] = {}
        self.transports: list[FaultTransport] = []

    def connector(self, *, page_size: int = 7, bad_credentials: bool = False) -> TrelloConnector:
        # one transport per connector (each runs in its own event loop); faults are shared
        transport = FaultTransport(
            httpx.AsyncHTTPTransport(), faults=self.faults, corrupt=self.corrupt
        )
        self.transports.append(transport)
        secrets = trello_secrets(self.sb, token="wrong-token" if bad_credentials else None)
        return TrelloConnector(
            trello_config(self.sb),
            secrets,
            transport=transport,
            page_size=page_size,
            clock=self.clock,
        )

    def cards(self) -> list[Any]:
        state = self.sb.state
        with state.lock:
            return [state.cards[c] for c in state.boards[self.board].cards]

    def item_ids(self) -> set[str]:
        return {card.id for card in self.cards() if MARKER not in card.desc}

    def seed_change(self, count: int = 1) -> list[str]:
        state = self.sb.state
        chosen = sorted(self.item_ids())[:count]
        with state.lock:
            lists = [lid for lid in state.boards[self.board].lists if not state.lists[lid].closed]
            for ident in chosen:
                card = state.cards[ident]
                target = lists[(lists.index(card.id_list) + 1) % len(lists)]
                move_card(state, card, target, state.clock.tick())
        return chosen

    def break_one_item(self) -> str:
        ident = sorted(self.item_ids())[3]
        self.corrupt[ident] = lambda node: node.update(idList=UNKNOWN_LIST)
        return ident

    def target(self) -> str:
        return self.board

    def count_status_comments(self, target: str) -> int:
        """Marked comments on the board's open cards (what people see)."""
        state = self.sb.state
        with state.lock:
            open_cards = {c for c in state.boards[target].cards if not state.cards[c].closed}
            actions = [state.actions[a] for a in state.boards[target].actions]
            return sum(
                1
                for a in actions
                if a.type == "commentCard"
                and MARKER in a.data.get("text", "")
                and a.data.get("card", {}).get("id") in open_cards
            )

    def count_status_cards(self) -> int:
        return sum(1 for card in self.cards() if MARKER in card.desc and not card.closed)

    def inject(self, fault: Fault) -> None:
        self.faults.append(fault)

    def requests(self) -> int:
        return sum(t.requests for t in self.transports)

    def writes(self) -> int:
        return sum(t.writes for t in self.transports)


@contextmanager
def trello() -> Iterator[Harness]:
    """A sandbox board of 30 cards (some archived), no Jira."""
    with Sandbox(SandboxConfig(seed=3, jira_issues=0, trello_cards=30)) as sb:
        yield TrelloHarness(sb)


HARNESSES: dict[str, HarnessFactory] = {"trello": trello}

# The document's body for `PUT /cards/{idCard}/customField/{idCustomField}/item` is a `oneOf`
# of two objects without `required`, so a text or list-option body matches both and fails;
# only numbers sent as strings (as Trello's guide sends them) happen to match one.
AMBIGUOUS_ONE_OF = ("/customField/", "is valid under each of")


def request_problems(router: respx.MockRouter) -> list[str]:
    """Contract problems of every request a respx router saw (its answers are fixtures)."""
    problems = [
        problem
        for call in router.calls
        if call.has_response
        for problem in contract_errors(call.request, call.response)
        if ": request: " in problem
    ]
    return [p for p in problems if not all(part in p for part in AMBIGUOUS_ONE_OF)]
