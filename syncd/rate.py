"""A request rate and what a remote said of it: the values budgets count in.

`Rate` names one budget: a credential's key (`budget.credential_key`: a hash, never the
secret) with a limit per rolling window, e.g. 90 requests / 10 s for one Trello token.
`Observations` holds the remote's own counts between two acquisitions of a shared budget.
Both the budgets of this process (`syncd.budget`) and the shared ones (`syncd.budget_shared`)
use them, and neither imports the other for them.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from dataclasses import dataclass


@dataclass(frozen=True)
class Rate:
    """At most `limit` requests in any `seconds`-long span for the credential named `key`."""

    key: str
    limit: int
    seconds: float


class Observations:
    """What the remote said between two acquisitions: the highest count per rate, sent along
    with the next `try_acquire` of a shared budget (one round trip per request, not three)."""

    def __init__(self) -> None:
        self._seen: dict[Rate, int] = {}
        self._lock = threading.Lock()

    def add(self, rate: Rate, used: int) -> None:
        with self._lock:
            self._seen[rate] = max(used, self._seen.get(rate, 0))

    def take(self, rates: Sequence[Rate]) -> dict[Rate, int]:
        """The counts for `rates` (forgotten here: the caller applies them)."""
        with self._lock:
            return {rate: self._seen.pop(rate) for rate in rates if rate in self._seen}
