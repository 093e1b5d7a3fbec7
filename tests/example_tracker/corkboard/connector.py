"""The corkboard connector: a board's notes as `WorkItem`s, the consolidated status pinned as one
note on it, in HTML.

A pull reads the notes changed since the cursor (less the overlap) page after page through
`syncd.connectors.paging`, oldest change first; the last page carries the cursor and, when asked,
the census. A push finds its own note again by the marker it carries, compares digests before it
writes, and after a lost answer looks before it pins again, so a board never shows two.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterable, Mapping, Sequence
from datetime import datetime
from typing import Any, TypeVar

from syncd.clock import SYSTEM, Clock
from syncd.connectors.base import MARKER, OVERLAP, Versions
from syncd.connectors.config import Secrets
from syncd.connectors.paging import Page, pages
from syncd.connectors.probe import Finding, good, guarded
from syncd.errors import ConfigError, MappingError, NotFoundError, RateLimitedError, TransientError
from syncd.mapping.config import MappingConfig
from syncd.model import PullResult, PushOutcome, Quarantined, StatusCategory, StatusPush, WorkItem

from .board import BOARDS, Board, Operation
from .config import CorkboardConfig

T = TypeVar("T")
ATTEMPTS = 5
COLUMNS = {
    "todo": StatusCategory.TODO,
    "doing": StatusCategory.IN_PROGRESS,
    "done": StatusCategory.DONE,
}


class CorkboardConnector:
    """One board of the corkboard service."""

    kind = "corkboard"

    def __init__(
        self,
        config: CorkboardConfig,
        secrets: Secrets,
        *,
        timezone: str = "UTC",
        clock: Clock = SYSTEM,
    ) -> None:
        self.id = config.id
        self.clock = clock  # what a Retry-After is waited on
        self.config = config
        self.token = secrets.value("token")
        self.timezone = timezone  # the service answers in UTC; kept for the connector contract

    def board(self) -> Board:
        found = BOARDS.get(self.config.board)
        if found is None:
            raise NotFoundError(f"corkboard: no board named {self.config.board!r}", status=404)
        return found

    async def call(self, operation: Operation, apply: Callable[[Board], T]) -> T:
        """One request, retried while it fails for a while (a write only when nothing was sent)."""
        for attempt in range(ATTEMPTS):
            try:
                return self.board().call(operation, self.token, apply)
            except RateLimitedError as exc:
                if attempt == ATTEMPTS - 1:
                    raise
                await self.clock.pause(exc.retry_after)
            except TransientError:
                if attempt == ATTEMPTS - 1 or operation == "pin":
                    raise
        raise AssertionError("unreachable")  # pragma: no cover

    # -- pull -------------------------------------------------------------------------------

    async def pull(
        self,
        since: datetime | None,
        *,
        census: bool = False,
        limit: int = 0,
        resume: Sequence[str] = (),
    ) -> AsyncIterator[PullResult]:
        """Notes changed at or after `since - OVERLAP`, `page_size` a page (`limit` and `resume`
        are not used: a board is small)."""
        floor = None if since is None else since - OVERLAP
        size = self.config.page_size

        async def fetch(start: int) -> Page[tuple[list[Any], bool], int]:
            raws, total = await self.call("list", lambda board: board.page(floor, start, size))
            following = start + len(raws)
            more = following < total
            return Page((raws, not more), following if more else None)

        cursor: datetime | None = None
        async for raws, last in pages(fetch, first=0, source=self.id, listing="notes"):
            page = self.normalize(raws)
            changes = [i.updated for i in page.items if i.updated is not None]
            cursor = max([*changes, *([cursor] if cursor else [])], default=None)
            seen = await self.call("list", lambda board: board.ids()) if census and last else None
            yield PullResult(
                page.items, page.quarantined, cursor=cursor if last else None, census=seen
            )

    def normalize(self, raws: list[Any]) -> PullResult:
        """Notes as items; a note that cannot be read is quarantined with its error."""
        items: list[WorkItem] = []
        bad: list[Quarantined] = []
        for raw in raws:
            try:
                items.append(self.item(raw))
            except MappingError as exc:
                bad.append(Quarantined(self.id, str(raw.get("id")), str(exc), repr(raw)))
        return PullResult(items=items, quarantined=bad)

    def item(self, raw: dict[str, Any]) -> WorkItem:
        """One note as a `WorkItem`; MappingError when its payload is not a note's."""
        try:
            return WorkItem(
                source=self.id,
                external_id=str(raw["id"]),
                key=f"{self.config.board}-{raw['id']}",
                title=str(raw["title"]),
                url=f"memory://corkboard/{self.config.board}/{raw['id']}",
                status=str(raw["column"]),
                category=COLUMNS[str(raw["column"])],
                updated=datetime.fromisoformat(str(raw["updated"])),
            ).with_hash()
        except (KeyError, ValueError, TypeError) as exc:
            raise MappingError(f"corkboard note {raw.get('id')}: {exc!r}") from exc

    # -- push -------------------------------------------------------------------------------

    async def push(self, status: StatusPush, *, target: str, known: dict[str, Any]) -> PushOutcome:
        """The status as one pinned note (HTML), edited in place when it changed."""
        if target != self.config.board:
            raise ConfigError(f"connector {self.id}: unknown push target {target!r}")
        marker = {"marker": MARKER, "client": status.client, "digest": status.digest}
        body = status.body("html")
        note = await self.find(status.client, known)
        writes = 0
        if note is None:
            note = await self.pin(status.client, body, marker)
            writes += 1
        elif note["marker"].get("digest") != status.digest:
            ident = note["id"]
            await self.call("edit", lambda board: board.edit(ident, body, marker))
            writes += 1
        remote = {"comment_id": note["id"], "digest": status.digest}
        return PushOutcome(remote=remote, changed=writes > 0, writes=writes)

    async def find(self, client: str, known: Mapping[str, Any]) -> dict[str, Any] | None:
        """The client's status note: the one pushed last when still there, else the oldest."""
        marked = await self.call("list", lambda board: board.status_notes(client))
        wanted = [n for n in marked if n["id"] == known.get("comment_id")] or marked
        return wanted[0] if wanted else None

    async def pin(self, client: str, body: str, marker: dict[str, Any]) -> dict[str, Any]:
        """Pin once; after a lost answer, look for the note before pinning again."""
        for attempt in range(ATTEMPTS):
            try:
                return await self.call("pin", lambda board: board.pin(body, marker))
            except TransientError:
                if attempt == ATTEMPTS - 1:
                    raise
                found = await self.find(client, {})
                if found is not None:
                    return found
        raise AssertionError("unreachable")  # pragma: no cover

    # -- the rest of the contract ------------------------------------------------------------

    async def probe(self, mapping: MappingConfig) -> list[Finding]:
        """Whether the token opens the board, and how many notes it holds."""

        async def ask() -> list[Finding]:
            count = await self.call("list", lambda board: len(board.notes))
            return [good("board", f"{self.config.board}: {count} note(s)")]

        return await guarded("board", ask)

    def is_own_write(self, event: dict[str, Any]) -> bool:
        """An event about a pinned note carrying syncd's marker."""
        return bool(((event.get("note") or {}).get("marker") or {}).get("marker") == MARKER)

    def remember_own(self, remotes: Iterable[Mapping[str, Any]]) -> None:
        """The marker alone tells syncd's notes apart."""

    def recall_site(self, facts: Mapping[str, Any]) -> None:
        """A board needs nothing learned beforehand."""

    def site_facts(self) -> dict[str, Any]:
        return {}

    def remember_versions(self, stored: Versions) -> None:
        """A pull reads whole notes: nothing to spare item by item."""

    async def aclose(self) -> None:
        return None
