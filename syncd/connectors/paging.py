"""Reading a remote listing page after page, and refusing a page that leads nowhere.

    async def fetch(token: str) -> Page[list[dict], str]:
        data = await remote.json("POST", url, json={"nextPageToken": token} if token else {})
        return Page(data["issues"], data.get("nextPageToken") or None)

    async for issues in pages(fetch, first="", source="acme-jira", listing="issue search"):
        ...

`fetch(token)` asks for one page (`token` is `first` for the first one: "" or 0) and answers
with its values and where the next page starts: an opaque token (a `str`), an offset (an `int`),
or None after the last page. A server that hands back a token it gave before, or an offset that
does not move past the page it answers, would have a pull read the same pages forever: `pages`
stops there with a `PagingError` naming the connector, the listing and the page. Every pull
pages through here; pages fetched side by side at offsets known beforehand ask `PageGuard` the
same question.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Awaitable, Callable
from dataclasses import dataclass
from typing import Generic, TypeVar

from syncd.errors import PagingError

T = TypeVar("T")
V = TypeVar("V")
K = TypeVar("K", str, int)  # a page token or an offset
SHOWN = 40  # characters of a page token an error message shows (they run to hundreds)


@dataclass(frozen=True)
class Page(Generic[T, K]):
    """One page of a listing: its values, and where the next one starts (None: no next)."""

    values: T
    next: K | None = None


class PageGuard(Generic[K]):
    """The pages of one listing so far: each next token must be new, each next offset past the
    current one."""

    def __init__(self, first: K, *, source: str, listing: str, service: str = "") -> None:
        self.source, self.listing, self.service = source, listing, service
        self.current: K = first
        self.seen: set[K] = {first}
        self.page = 1  # the page whose answer names the next one

    def advance(self, following: K) -> K:
        """`following`, now the current page; PagingError when it leads back."""
        current = self.current
        if isinstance(following, int) and isinstance(current, int) and following <= current:
            raise PagingError(
                f"{self.source}: {self.listing} page {self.page} (at offset {current}) leads to"
                f" offset {following}, which does not move past it; stopped rather than read"
                " the same items again",
                service=self.service,
            )
        if following in self.seen:
            raise PagingError(
                f"{self.source}: {self.listing} page {self.page} hands back the page token"
                f" {shown(following)}, given before; stopped rather than read the same pages"
                " again",
                service=self.service,
            )
        self.seen.add(following)
        self.current = following
        self.page += 1
        return following


async def pages(
    fetch: Callable[[K], Awaitable[Page[T, K]]],
    *,
    first: K,
    source: str,
    listing: str,
    service: str = "",
) -> AsyncGenerator[T, None]:
    """The values of every page of one listing, in order, from `first`; see the module's text."""
    guard = PageGuard(first, source=source, listing=listing, service=service)
    token = first
    while True:
        page = await fetch(token)
        yield page.values
        if page.next is None:
            return
        token = guard.advance(page.next)


def shown(token: str | int) -> str:
    """A page token as an error message shows it: quoted, cut short."""
    text = repr(token)
    return text if len(text) <= SHOWN else f"{text[: SHOWN - 3]}...'"


async def read_all(
    fetch: Callable[[K], Awaitable[Page[list[V], K]]],
    *,
    first: K,
    source: str,
    listing: str,
    service: str = "",
) -> list[V]:
    """Every value of every page of one listing, in one list (`pages`, read to the end)."""
    found: list[V] = []
    async for values in pages(fetch, first=first, source=source, listing=listing, service=service):
        found.extend(values)
    return found
