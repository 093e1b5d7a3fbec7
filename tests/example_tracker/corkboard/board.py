"""The corkboard service itself, kept in memory: boards of notes, and the status notes syncd pins.

It answers as a remote API would: every call is one request, checked against the board's token,
and may meet trouble armed with `Board.trouble` (a rate limit, a server error, an answer lost
after the write was applied). Notes are kept as the payloads the service would send: a note
whose payload is broken stays broken until it is fixed.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, TypeVar

from syncd.connectors.base import MARKER
from syncd.errors import AuthError, NotFoundError, RateLimitedError, TransientError

T = TypeVar("T")
Operation = Literal["list", "pin", "edit"]
TroubleKind = Literal["rate_limit", "server_error", "lose_response"]
START = datetime(2026, 11, 2, 8, 0, tzinfo=UTC)

BOARDS: dict[str, Board] = {}  # the service: every board, by name


@dataclass
class Trouble:
    """What the next `times` calls of `operation` (any, when None) meet."""

    kind: TroubleKind
    times: int = 1
    operation: Operation | None = None
    retry_after: float = 0.0


@dataclass
class Board:
    """One board: notes by id (payloads), pinned status notes, counters, armed trouble."""

    name: str
    token: str
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)
    pinned: dict[str, dict[str, Any]] = field(default_factory=dict)
    troubles: list[Trouble] = field(default_factory=list)
    requests: int = 0
    writes: int = 0
    now: datetime = START
    numbers: itertools.count[int] = field(default_factory=lambda: itertools.count(1))

    def add(self, title: str, *, column: str = "todo") -> str:
        """A new note, a minute newer than the last change; its id."""
        self.now += timedelta(minutes=1)
        ident = f"n{next(self.numbers)}"
        note = {"id": ident, "title": title, "column": column, "updated": str(self.now)}
        self.notes[ident] = note
        return ident

    def touch(self, ident: str, **changes: str) -> None:
        """Someone changes a note now, later than anything before."""
        self.now += timedelta(minutes=10)
        self.notes[ident].update(changes, updated=str(self.now))

    def trouble(self, trouble: Trouble) -> None:
        self.troubles.append(trouble)

    def call(self, operation: Operation, token: str, apply: Callable[[Board], T]) -> T:
        """One request: counted, its token checked, trouble met, then `apply` run on the board
        (or not)."""
        self.requests += 1
        if token != self.token:
            raise AuthError(f"corkboard {self.name}: token refused (401)", status=401)
        met = self._take(operation)
        if met is not None and met.kind == "rate_limit":
            raise RateLimitedError(f"corkboard {self.name}: slow down", retry_after=met.retry_after)
        if met is not None and met.kind == "server_error":
            raise TransientError(f"corkboard {self.name}: server error (502)", status=502)
        result = apply(self)
        if operation != "list":
            self.writes += 1
        if met is not None:  # lose_response: applied, and the answer lost
            raise TransientError(f"corkboard {self.name}: connection dropped")
        return result

    def _take(self, operation: Operation) -> Trouble | None:
        for trouble in self.troubles:
            if trouble.operation in (None, operation):
                trouble.times -= 1
                if trouble.times <= 0:
                    self.troubles.remove(trouble)
                return trouble
        return None

    # -- what the service answers --------------------------------------------------------

    def page(self, since: datetime | None, start: int, size: int) -> tuple[list[Any], int]:
        """Notes changed at or after `since` (all when None), oldest change first: the page at
        `start`, and how many there are in all."""
        chosen = [n for n in self.notes.values() if since is None or _changed_since(n, since)]
        chosen.sort(key=lambda n: (str(n.get("updated")), n["id"]))
        return [dict(n) for n in chosen[start : start + size]], len(chosen)

    def ids(self) -> frozenset[str]:
        """Every note's id (a census)."""
        return frozenset(self.notes)

    def status_notes(self, client: str | None = None) -> list[dict[str, Any]]:
        """The pinned notes syncd marked (of `client`, when given), oldest first."""
        return [
            dict(n)
            for n in self.pinned.values()
            if n["marker"].get("marker") == MARKER and client in (None, n["marker"].get("client"))
        ]

    def pin(self, body: str, marker: dict[str, Any]) -> dict[str, Any]:
        ident = f"p{next(self.numbers)}"
        self.pinned[ident] = {"id": ident, "body": body, "marker": dict(marker)}
        return dict(self.pinned[ident])

    def edit(self, ident: str, body: str, marker: dict[str, Any]) -> None:
        if ident not in self.pinned:
            raise NotFoundError(f"corkboard {self.name}: no pinned note {ident}", status=404)
        self.pinned[ident].update(body=body, marker=dict(marker))


def _changed_since(note: dict[str, Any], since: datetime) -> bool:
    try:
        return datetime.fromisoformat(str(note["updated"])) >= since
    except ValueError:
        return True  # an unreadable note is listed: quarantined by syncd rather than lost
