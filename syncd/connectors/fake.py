"""An in-memory connector that keeps the contract, for tests of everything above connectors.

`FakeWorld` plays the remote tool: raw item payloads, status comments and properties, request
and write counters, and faults armed with `inject`. `FakeConnector` talks to it the way a real
connector talks HTTP: every call is a request, transient failures are retried (Retry-After
honoured), auth failures are not, a lost response after an applied create is healed by finding
the marked comment again. Build one world per test and as many connectors over it as needed.
"""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any, Literal, TypeVar

from syncd.clock import SYSTEM, Clock
from syncd.connectors.base import MARKER, OVERLAP, Versions
from syncd.connectors.config import Secrets, Strict
from syncd.connectors.paging import Page, pages
from syncd.connectors.probe import Finding, good
from syncd.errors import AuthError, MappingError, NotFoundError, RateLimitedError, TransientError
from syncd.mapping.config import MappingConfig
from syncd.model import PullResult, PushOutcome, Quarantined, StatusCategory, StatusPush, WorkItem

T = TypeVar("T")
FaultKind = Literal["rate_limit", "lose_response", "server_error", "auth"]
ATTEMPTS = 5
START = datetime.fromisoformat("2026-11-01T08:00:00+00:00")


class FakeConfig(Strict):
    """A fake connector in a client file (`kind = "fake"`), handy for demos and tests."""

    kind: Literal["fake"] = "fake"
    id: str = "fake"
    page_size: int = 50
    targets: list[str] = ["STATUS-1"]
    token: str = "fake-token"  # noqa: S105 - the credential the fake world accepts


@dataclass
class FakeFault:
    kind: FaultKind
    times: int = 1
    operation: str | None = None  # "list", "get", "create", "edit"; None: any
    retry_after: float = 0.0


@dataclass
class FakeComment:
    id: str
    body: str
    marker: dict[str, Any]


@dataclass
class FakeWorld:
    """The remote side: raw items keyed by id, comments and properties per target."""

    token: str = "fake-token"  # noqa: S105
    items: dict[str, dict[str, Any]] = field(default_factory=dict)
    comments: dict[str, list[FakeComment]] = field(default_factory=dict)
    properties: dict[str, dict[str, Any]] = field(default_factory=dict)
    faults: list[FakeFault] = field(default_factory=list)
    requests: int = 0
    writes: int = 0
    now: datetime = START
    _ids: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add_items(self, count: int, *, project: str = "FAKE") -> list[str]:
        """Create `count` items, each a little newer than the last; their ids."""
        created = []
        for _ in range(count):
            number = next(self._ids)
            self.now += timedelta(minutes=1)
            ident = str(10000 + number)
            self.items[ident] = {
                "id": ident,
                "key": f"{project}-{number}",
                "title": f"Item {number}",
                "status": "To Do",
                "category": "todo",
                "updated": self.now.isoformat(),
            }
            created.append(ident)
        return created

    def touch(self, ident: str, **changes: Any) -> None:
        """Change an item now (later than anything before)."""
        self.now += timedelta(minutes=10)
        self.items[ident].update(changes, updated=self.now.isoformat())

    def break_item(self, ident: str) -> None:
        """Make an item's payload unreadable."""
        self.items[ident]["updated"] = "not a date"

    def inject(
        self,
        kind: FaultKind,
        *,
        times: int = 1,
        operation: str | None = None,
        retry_after: float = 0.0,
    ) -> None:
        """Arm a fault for the next `times` calls of `operation`."""
        self.faults.append(FakeFault(kind, times, operation, retry_after))

    def status_comments(self, target: str) -> list[FakeComment]:
        return [c for c in self.comments.get(target, []) if c.marker.get("marker") == MARKER]

    def call(self, operation: str, token: str, apply: Callable[[], T]) -> T:
        """One request: counted, faults applied, then `apply` run (or not)."""
        self.requests += 1
        if token != self.token:
            raise AuthError(f"fake {operation}: not authorized (401)", status=401, service="fake")
        fault = self._take(operation)
        if fault is not None and fault.kind == "rate_limit":
            raise RateLimitedError(
                f"fake {operation}: rate limited", retry_after=fault.retry_after, service="fake"
            )
        if fault is not None and fault.kind == "server_error":
            raise TransientError(f"fake {operation}: server error 502", status=502, service="fake")
        if fault is not None and fault.kind == "auth":
            raise AuthError(f"fake {operation}: not authorized (403)", status=403, service="fake")
        result = apply()
        if operation in ("create", "edit"):
            self.writes += 1
        if fault is not None and fault.kind == "lose_response":
            raise TransientError(f"fake {operation}: connection dropped", service="fake")
        return result

    def _take(self, operation: str) -> FakeFault | None:
        for fault in self.faults:
            if fault.operation in (None, operation):
                fault.times -= 1
                if fault.times <= 0:
                    self.faults.remove(fault)
                return fault
        return None


def normalize_fake(raw: dict[str, Any], *, source: str) -> WorkItem:
    """A fake payload as a WorkItem; anything malformed raises MappingError."""
    try:
        updated = datetime.fromisoformat(str(raw["updated"]))
        return WorkItem(
            source=source,
            external_id=str(raw["id"]),
            key=str(raw["key"]),
            title=str(raw["title"]),
            url=f"fake://{raw['key']}",
            status=str(raw["status"]),
            category=StatusCategory(raw["category"]),
            updated=updated,
        ).with_hash()
    except (KeyError, ValueError, TypeError) as exc:
        raise MappingError(f"fake item {raw.get('id')}: {exc}") from exc


class FakeConnector:
    """A connector over a `FakeWorld` (a new empty world unless one is given)."""

    kind = "fake"

    def __init__(
        self,
        config: FakeConfig,
        secrets: Secrets | None = None,
        *,
        transport: object = None,
        timezone: str = "UTC",
        world: FakeWorld | None = None,
        clock: Clock = SYSTEM,
    ) -> None:
        self.config = config
        self.clock = clock  # what a rate-limited call waits on
        self.id = config.id
        self.world = world if world is not None else FakeWorld(token=config.token)
        token = secrets.value("token") if secrets is not None else ""
        self._token = token or config.token
        self.timezone = timezone
        for target in config.targets:
            self.world.comments.setdefault(target, [])

    async def _call(self, operation: str, apply: Callable[[], T]) -> T:
        for attempt in range(ATTEMPTS):
            try:
                return self.world.call(operation, self._token, apply)
            except RateLimitedError as exc:
                if attempt == ATTEMPTS - 1:
                    raise
                await self.clock.pause(exc.retry_after)
            except TransientError:
                if attempt == ATTEMPTS - 1 or operation == "create":
                    raise
                await asyncio.sleep(0)
        raise AssertionError("unreachable")  # pragma: no cover

    async def pull(
        self,
        since: datetime | None,
        *,
        census: bool = False,
        limit: int = 0,
        resume: Sequence[str] = (),
    ) -> AsyncIterator[PullResult]:
        """Pages of items updated at or after `since - OVERLAP`, oldest first."""
        floor = None if since is None else since - OVERLAP
        seen = await self._call("list", lambda: frozenset(self.world.items)) if census else None
        size = max(1, self.config.page_size)

        async def fetch(start: int) -> Page[tuple[list[dict[str, Any]], bool], int]:
            raws, total = await self._call("list", lambda: self._page(floor, start, size))
            following = start + size
            more = following < total
            return Page((raws, not more), following if more else None)

        cursor = None
        async for raws, last in pages(fetch, first=0, source=self.id, listing="items"):
            page = self._normalize(raws)
            for item in page.items:
                if item.updated is not None and (cursor is None or item.updated > cursor):
                    cursor = item.updated
            yield replace(page, cursor=cursor if last else None, census=seen if last else None)

    def _page(
        self, floor: datetime | None, start: int, size: int
    ) -> tuple[list[dict[str, Any]], int]:
        ids = self._matching(floor)
        return [dict(self.world.items[i]) for i in ids[start : start + size]], len(ids)

    def _matching(self, floor: datetime | None) -> list[str]:
        def when(raw: dict[str, Any]) -> str:
            return str(raw.get("updated", ""))

        chosen = [raw for raw in self.world.items.values() if floor is None or _after(raw, floor)]
        return [raw["id"] for raw in sorted(chosen, key=lambda r: (when(r), r["key"]))]

    def _normalize(self, raws: list[dict[str, Any]]) -> PullResult:
        items, bad = [], []
        for raw in raws:
            try:
                items.append(normalize_fake(raw, source=self.id))
            except MappingError as exc:
                bad.append(Quarantined(self.id, str(raw.get("id")), str(exc), repr(raw)))
        return PullResult(items=items, quarantined=bad, requests=1)

    async def push(self, status: StatusPush, *, target: str, known: dict[str, Any]) -> PushOutcome:
        """One marked comment per target, edited in place; a property beside it."""
        writes = 0
        comment = await self._find(target, status.client, known)
        if comment is None:
            comment = await self._create(target, status)
            writes += 1
        elif comment.marker.get("digest") != status.digest:
            await self._call("edit", lambda: self._edit(comment, status))
            writes += 1
        if self.world.properties.get(target) != status.machine:
            await self._call(
                "edit", lambda: self.world.properties.__setitem__(target, status.machine)
            )
            writes += 1
        remote = {"comment_id": comment.id, "digest": status.digest}
        return PushOutcome(remote=remote, changed=writes > 0, writes=writes)

    async def _find(self, target: str, client: str, known: dict[str, Any]) -> FakeComment | None:
        def look() -> FakeComment | None:
            if target not in self.world.comments:
                raise NotFoundError(f"fake target {target}: not found", status=404)
            marked = [
                c for c in self.world.status_comments(target) if c.marker.get("client") == client
            ]
            wanted = [c for c in marked if c.id == known.get("comment_id")] or marked
            return wanted[0] if wanted else None

        return await self._call("list", look)

    async def _create(self, target: str, status: StatusPush) -> FakeComment:
        """Create once; after a lost answer look for the marked comment before creating again."""
        for attempt in range(ATTEMPTS):
            try:
                return await self._call("create", lambda: self._add(target, status))
            except TransientError:
                if attempt == ATTEMPTS - 1:
                    raise
                found = await self._find(target, status.client, {})
                if found is not None:
                    return found
        raise AssertionError("unreachable")  # pragma: no cover

    def _add(self, target: str, status: StatusPush) -> FakeComment:
        marker = {"marker": MARKER, "client": status.client, "digest": status.digest}
        comment = FakeComment(str(next(self.world._ids)), status.markdown, marker)
        self.world.comments[target].append(comment)
        return comment

    def _edit(self, comment: FakeComment, status: StatusPush) -> None:
        comment.body = status.markdown
        comment.marker = {**comment.marker, "digest": status.digest}

    async def probe(self, mapping: MappingConfig) -> list[Finding]:
        """Nothing to ask: a fake has no remote side."""
        return [good("connector", "fake: nothing to ask")]

    def is_own_write(self, event: dict[str, Any]) -> bool:
        """A fake event `{"comment": {"marker": ...}}` or `{"property": ...}` is ours."""
        marker = (event.get("comment") or {}).get("marker") or {}
        return marker.get("marker") == MARKER or event.get("property") == "syncd.status"

    def remember_own(self, remotes: Iterable[Mapping[str, Any]]) -> None:
        """A fake world knows its writes by their marker alone."""

    def recall_site(self, facts: Mapping[str, Any]) -> None:
        """A fake world needs nothing learned beforehand."""

    def site_facts(self) -> dict[str, Any]:
        return {}

    def remember_versions(self, stored: Versions) -> None:
        """A fake world answers each page whole: nothing to spare."""

    async def aclose(self) -> None:
        return None


def _after(raw: dict[str, Any], floor: datetime) -> bool:
    try:
        return datetime.fromisoformat(str(raw["updated"])) >= floor
    except ValueError:
        return True  # an unreadable item is listed, so it is quarantined rather than lost
