"""The conformance suite every connector passes, shipped so a tracker anywhere can prove itself.

A tracker brings a `Harness`: its connector over a small world it controls (a few dozen items,
more than one page of them) and the means to change that world and make trouble in it. The
suite is a class of pytest tests over that harness; a test module subclasses it and names its
harnesses:

    from syncd.testing import ConformanceSuite

    class TestMyTracker(ConformanceSuite):
        harnesses = {"my-tracker": my_harness}   # name -> context manager yielding a Harness

and each test runs once per harness (`TestMyTracker::test_...[my-tracker]`). HTTP connectors get
their trouble from `FaultTransport`, which wraps the real transport (a look-alike over loopback,
or respx) and answers 429s, drops responses after the server applied a write, or rewrites one
item's payload; its counters are what the suite measures.

pytest is a development dependency of syncd: this module is for test suites alone, and nothing
else in `syncd` imports it.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
from collections import Counter
from collections.abc import Callable, Coroutine, Iterator, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, ClassVar, Literal, Protocol, TypeVar

import httpx
import pytest

from syncd.clock import FakeClock
from syncd.connectors.base import Connector
from syncd.errors import AuthError
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
    status_cards: int  # status cards a push leaves (1 on a board that shows one, else 0)

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
        html=f"<p><strong>{headline}</strong></p>\n",
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


def ids(pages: list[PullResult]) -> list[str]:
    """The external ids of every item of a pull, page after page."""
    return [item.external_id for page in pages for item in page.items]


async def pull_and_close(connector: Connector, *, census: bool = False) -> list[PullResult]:
    """Every page of one pull from nothing; the connector closed after."""
    try:
        return await collect(connector, census=census)
    finally:
        await connector.aclose()


class ConformanceSuite:
    """The contract of `syncd.connectors.base`, checked the same way for every harness in
    `harnesses` (a subclass named `Test...` names them; this class itself is never collected)."""

    harnesses: ClassVar[Mapping[str, HarnessFactory]] = {}

    def pytest_generate_tests(self, metafunc: pytest.Metafunc) -> None:
        """Each test once per harness, by name."""
        if "harness" in metafunc.fixturenames:
            metafunc.parametrize("harness", sorted(self.harnesses), indirect=True)

    @pytest.fixture
    def harness(self, request: pytest.FixtureRequest) -> Iterator[Harness]:
        """The harness the test runs over, fresh for each test."""
        with self.harnesses[request.param]() as made:
            yield made

    def test_pull_from_nothing_brings_every_item_once(self, harness: Harness) -> None:
        """A first pull yields every item exactly once and puts the cursor on the last page only."""
        pages = run(pull_and_close(harness.connector()))
        got = Counter(ids(pages))
        assert set(got) == harness.item_ids()
        assert max(got.values()) == 1
        assert pages[-1].cursor is not None
        assert all(page.cursor is None for page in pages[:-1])
        assert all(page.census is None for page in pages)

    def test_paging_spreads_items_over_pages(self, harness: Harness) -> None:
        """A page size smaller than the data gives several pages that add up to everything."""
        pages = run(pull_and_close(harness.connector(page_size=5)))
        assert len([p for p in pages if p.items]) > 1
        assert sorted(ids(pages)) == sorted(harness.item_ids())

    def test_incremental_pull_brings_changed_items(self, harness: Harness) -> None:
        """A pull from the last cursor brings what changed since, not everything again."""

        async def scenario() -> tuple[list[PullResult], list[str]]:
            connector = harness.connector()
            try:
                first = await collect(connector)
                changed = harness.seed_change(2)
                second = await collect(connector, first[-1].cursor)
                return second, changed
            finally:
                await connector.aclose()

        second, changed = run(scenario())
        assert set(changed) <= set(ids(second))
        assert len(ids(second)) < len(harness.item_ids())
        assert second[-1].cursor is not None

    def test_pull_without_changes_is_cheap(self, harness: Harness) -> None:
        """On a connector that pulled once, a pull with no changes costs its request budget at
        most."""

        async def scenario() -> int:
            connector = harness.connector()
            try:
                first = await collect(connector)
                before = harness.requests()
                await collect(connector, first[-1].cursor)
                return harness.requests() - before
            finally:
                await connector.aclose()

        assert run(scenario()) <= harness.nochange_budget

    def test_census_names_every_visible_item(self, harness: Harness) -> None:
        """A census pull carries every visible external id on its last page."""
        pages = run(pull_and_close(harness.connector(), census=True))
        assert pages[-1].census == frozenset(harness.item_ids())

    def test_bad_item_is_quarantined_and_the_rest_arrives(self, harness: Harness) -> None:
        """One unreadable item is quarantined with its error; every other item still arrives."""
        bad = harness.break_one_item()
        pages = run(pull_and_close(harness.connector()))
        quarantined = [q for page in pages for q in page.quarantined]
        assert [q.external_id for q in quarantined] == [bad]
        assert quarantined[0].error
        assert set(ids(pages)) == harness.item_ids() - {bad}

    def test_auth_error_is_raised_and_not_retried(self, harness: Harness) -> None:
        """Refused credentials raise AuthError after one request."""
        before = harness.requests()
        with pytest.raises(AuthError):
            run(pull_and_close(harness.connector(bad_credentials=True)))
        assert harness.requests() - before == 1

    def test_rate_limit_is_survived(self, harness: Harness) -> None:
        """429s with Retry-After slow a pull down (the connector waits what they ask, on its
        clock); it still brings everything."""
        harness.inject(Fault("rate_limit", times=3, retry_after=5.0))
        before, start = harness.requests(), harness.clock.monotonic()
        pages = run(pull_and_close(harness.connector()))
        assert sorted(ids(pages)) == sorted(harness.item_ids())
        assert harness.requests() - before >= 4
        assert harness.clock.monotonic() - start >= 5.0

    def test_server_errors_are_retried(self, harness: Harness) -> None:
        """A 5xx in the middle of a pull is retried and nothing is lost."""
        harness.inject(Fault("server_error", times=2))
        pages = run(pull_and_close(harness.connector()))
        assert sorted(ids(pages)) == sorted(harness.item_ids())

    def test_push_twice_changes_nothing_the_second_time(self, harness: Harness) -> None:
        """The same status pushed again writes nothing and leaves one status comment."""

        async def scenario() -> None:
            connector = harness.connector()
            target = harness.target()
            try:
                first = await connector.push(sample_status(), target=target, known={})
                before = harness.writes()
                second = await connector.push(sample_status(), target=target, known=first.remote)
                assert first.changed
                assert not second.changed
                assert harness.writes() == before
                assert second.remote == first.remote
            finally:
                await connector.aclose()

        run(scenario())
        assert harness.count_status_comments(harness.target()) == 1

    def test_push_without_known_ids_adopts_its_comment(self, harness: Harness) -> None:
        """A push that lost what the last one returned finds its comment again instead of adding
        one."""

        async def scenario() -> None:
            connector = harness.connector()
            target = harness.target()
            try:
                first = await connector.push(sample_status(), target=target, known={})
                before = harness.writes()
                again = await connector.push(sample_status(), target=target, known={})
                assert again.remote == first.remote
                assert harness.writes() == before
            finally:
                await connector.aclose()

        run(scenario())
        assert harness.count_status_comments(harness.target()) == 1

    def test_push_edits_the_comment_in_place(self, harness: Harness) -> None:
        """A changed status edits the same comment."""

        async def scenario() -> None:
            connector = harness.connector()
            target = harness.target()
            try:
                first = await connector.push(sample_status(), target=target, known={})
                changed = sample_status(rag="red", note="slipped")
                second = await connector.push(changed, target=target, known=first.remote)
                assert second.changed
                assert second.remote["comment_id"] == first.remote["comment_id"]
            finally:
                await connector.aclose()

        run(scenario())
        assert harness.count_status_comments(harness.target()) == 1

    def test_two_pushes_at_once_leave_one_status(self, harness: Harness) -> None:
        """Two workers push the same target at the same moment: both find nothing and both create.
        The one that sees the other's creation keeps the oldest; one status is left, and the next
        push from either side finds it and writes nothing."""

        async def scenario() -> None:
            a, b = harness.connector(), harness.connector()
            target = harness.target()
            try:
                first, second = await asyncio.gather(
                    a.push(sample_status(), target=target, known={}),
                    b.push(sample_status(), target=target, known={}),
                )
                assert first.remote == second.remote  # both name the one status that is left
                before = harness.writes()
                for connector, outcome in ((a, first), (b, second)):
                    again = await connector.push(
                        sample_status(), target=target, known=outcome.remote
                    )
                    assert not again.changed
                assert harness.writes() == before
            finally:
                await a.aclose()
                await b.aclose()

        run(scenario())
        assert harness.count_status_comments(harness.target()) == 1
        assert harness.count_status_cards() == harness.status_cards

    def test_lost_response_never_doubles_the_comment(self, harness: Harness) -> None:
        """A create whose answer is lost after the server applied it leaves exactly one comment."""
        harness.inject(Fault("lose_response", method="POST"))

        async def scenario() -> None:
            connector = harness.connector()
            try:
                for _ in range(3):
                    await connector.push(sample_status(), target=harness.target(), known={})
            finally:
                await connector.aclose()

        run(scenario())
        assert harness.count_status_comments(harness.target()) == 1
        assert harness.count_status_cards() <= 1
