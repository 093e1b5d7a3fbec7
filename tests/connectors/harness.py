"""What a connector's test double offers, so one conformance suite checks every connector.

A backend plugs in with one file, `tests/connectors/harness_<name>.py`, that defines

    HARNESSES: dict[str, HarnessFactory]   # e.g. {"jira-cloud": jira_cloud, "jira-dc": jira_dc}

where each factory is a context manager yielding a `Harness` over a small world (a few dozen
items, more than one page of them). `test_conformance.py` finds every such module and runs each
of its checks once per harness.

HTTP connectors get their trouble from `FaultTransport`, which wraps the real transport (the
sandbox over loopback, or respx) and answers 429s, drops responses after the server applied a
write, or rewrites one item's payload; its counters are what the suite measures.
"""

from __future__ import annotations

import asyncio
import hashlib
import importlib
import json
import pkgutil
from collections.abc import Callable, Coroutine, Iterator
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Literal, Protocol, TypeVar

import httpx

from syncd.clock import FakeClock
from syncd.connectors.base import Connector
from syncd.model import PullResult, StatusCategory, StatusPush

T = TypeVar("T")
WRITES = frozenset({"POST", "PUT", "DELETE", "PATCH"})
FaultKind = Literal["rate_limit", "lose_response", "server_error"]


@dataclass(frozen=True)
class Fault:
    """Trouble that the next `times` requests matching `method` and `path` meet.

    rate_limit: 429 with `Retry-After: retry_after`, nothing applied.
    server_error: 502, nothing applied.
    lose_response: the request reaches the server and is applied; its answer is lost.
    """

    kind: FaultKind
    times: int = 1
    method: str | None = None
    path: str | None = None  # a substring of the URL path
    retry_after: float = 0.05


class Harness(Protocol):
    """One backend seen the same way by the conformance suite."""

    name: str
    nochange_budget: int  # requests a pull with nothing new may cost (Jira 1, Trello 2)
    clock: FakeClock  # what its connectors wait on: a Retry-After costs no real time

    def connector(self, *, page_size: int = 7, bad_credentials: bool = False) -> Connector:
        """A fresh connector instance over this backend."""
        ...

    def item_ids(self) -> set[str]:
        """External ids of every item the connector should see."""
        ...

    def seed_change(self, count: int = 1) -> list[str]:
        """Change `count` items later than anything seen so far; their external ids."""
        ...

    def break_one_item(self) -> str:
        """Make one item's payload unreadable from now on; its external id."""
        ...

    def target(self) -> str:
        """A push target this backend accepts."""
        ...

    def count_status_comments(self, target: str) -> int:
        """syncd status comments on `target` (on the status card, for Trello)."""
        ...

    def count_status_cards(self) -> int:
        """syncd status cards (0 for trackers without cards)."""
        ...

    def inject(self, fault: Fault) -> None:
        """Arm a fault for the next matching requests."""
        ...

    def requests(self) -> int:
        """Requests sent by connectors of this harness so far (faulted ones included)."""
        ...

    def writes(self) -> int:
        """Writes the backend applied so far."""
        ...


HarnessFactory = Callable[[], AbstractContextManager[Harness]]


def discover() -> dict[str, HarnessFactory]:
    """Every `HARNESSES` entry of every `tests/connectors/harness_*.py` module."""
    import tests.connectors as package

    found: dict[str, HarnessFactory] = {}
    for module in sorted(pkgutil.iter_modules(package.__path__), key=lambda m: m.name):
        if module.name.startswith("harness_"):
            loaded = importlib.import_module(f"{package.__name__}.{module.name}")
            found.update(getattr(loaded, "HARNESSES", {}))
    return found


def run(coro: Coroutine[Any, Any, T]) -> T:
    """Run one coroutine to completion (tests are plain functions)."""
    return asyncio.run(coro)


async def collect(
    connector: Connector, since: datetime | None = None, *, census: bool = False
) -> list[PullResult]:
    """Every page of one pull."""
    return [page async for page in connector.pull(since, census=census)]


def pull_all(
    connector: Connector, since: datetime | None = None, *, census: bool = False
) -> list[PullResult]:
    """Every page of one pull, run to completion."""
    return run(collect(connector, since, census=census))


def sample_status(*, client: str = "acme", rag: str = "amber", note: str = "") -> StatusPush:
    """A consolidated status as `syncd.reports` would build it; `note` changes its digest."""
    headline = f"{rag.title()}: SPI 0.91, Go-live +3 working days {note}".strip()
    adf = {
        "type": "doc",
        "version": 1,
        "content": [{"type": "paragraph", "content": [{"type": "text", "text": headline}]}],
    }
    machine = {"client": client, "rag": rag, "spi": 0.91, "note": note}
    digest = json.dumps(machine, sort_keys=True)
    return StatusPush(
        client=client,
        rag=rag,
        headline=headline,
        markdown=f"**{headline}**",
        adf=adf,
        wiki=f"*{headline}*",
        machine=machine,
        fields=(("RAG", rag.title()),),
        digest=hashlib.sha256(digest.encode()).hexdigest()[:16],
        category=StatusCategory.IN_PROGRESS,
    )


@dataclass
class FaultTransport(httpx.AsyncBaseTransport):
    """A transport that counts requests, applies armed faults and can corrupt one item.

    `corrupt` maps an item id to a function rewriting that item's JSON wherever it appears in
    a response body (a list of issues, of cards, ...).
    """

    inner: httpx.AsyncBaseTransport
    faults: list[Fault] = field(default_factory=list)
    requests: int = 0
    writes: int = 0
    log: list[tuple[str, str]] = field(default_factory=list)
    corrupt: dict[str, Callable[[dict[str, Any]], None]] = field(default_factory=dict)

    def arm(self, fault: Fault) -> None:
        self.faults.append(fault)

    def _take(self, request: httpx.Request) -> Fault | None:
        for index, fault in enumerate(self.faults):
            if fault.method not in (None, request.method):
                continue
            if fault.path is not None and fault.path not in request.url.path:
                continue
            if fault.times <= 1:
                del self.faults[index]
            else:
                self.faults[index] = Fault(
                    fault.kind, fault.times - 1, fault.method, fault.path, fault.retry_after
                )
            return fault
        return None

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        self.requests += 1
        self.log.append((request.method, request.url.path))
        fault = self._take(request)
        if fault is not None and fault.kind == "rate_limit":
            headers = {"Retry-After": f"{fault.retry_after:g}", "Content-Type": "application/json"}
            return httpx.Response(429, headers=headers, content=b'{"errorMessages":["Rate limit"]}')
        if fault is not None and fault.kind == "server_error":
            return httpx.Response(502, content=b"Bad gateway")
        response = await self.inner.handle_async_request(request)
        if request.method in WRITES and response.status_code < 300:
            self.writes += 1
        if fault is not None and fault.kind == "lose_response":
            await response.aread()
            await response.aclose()
            raise httpx.ReadError("connection dropped after the request was applied")
        if self.corrupt and response.headers.get("content-type", "").startswith("application/json"):
            return await self._rewrite(response)
        return response

    async def _rewrite(self, response: httpx.Response) -> httpx.Response:
        body = json.loads(await response.aread())
        for node in _walk(body):
            fix = self.corrupt.get(str(node.get("id")))
            if fix is not None:
                fix(node)
        headers = {k: v for k, v in response.headers.items() if k.lower() != "content-length"}
        return httpx.Response(response.status_code, headers=headers, json=body)

    async def aclose(self) -> None:
        await self.inner.aclose()


def _walk(node: Any) -> Iterator[dict[str, Any]]:
    if isinstance(node, dict):
        yield node
        for value in node.values():
            yield from _walk(value)
    elif isinstance(node, list):
        for value in node:
            yield from _walk(value)
