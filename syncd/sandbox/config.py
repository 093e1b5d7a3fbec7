"""What a sandbox run looks like: data size, seed, faults, and the credentials it accepts."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from syncd.sandbox.clock import DEFAULT_START


@dataclass(frozen=True)
class Faults:
    """Injected trouble; everything off by default. Never applied to `/_admin`.

    error_rate: share of requests answered with one of `statuses` (500/502/503 unless set;
        429 and 503 carry Retry-After), e.g. `statuses=(401,)` for refused credentials.
    echo: error bodies repeat the request's method, path and query (credentials and all), as
        some servers' error pages do.
    drop_rate: share of requests whose connection is closed without a response.
    jira_429_every: every Nth Jira request gets 429 with `Retry-After: retry_after_s` (0 = off).
    jira_limit / jira_window_s: a budget of Jira requests per window; beyond it 429 (0 = off).
    slow_ms / slow_rate: extra delay added to that share of requests.
    seed: seeds the fault dice, so a sequential run sees the same faults each time.
    """

    error_rate: float = 0.0
    statuses: tuple[int, ...] = (500, 502, 503)
    echo: bool = False
    drop_rate: float = 0.0
    jira_429_every: int = 0
    retry_after_s: int = 1
    slow_ms: int = 0
    slow_rate: float = 1.0
    jira_limit: int = 0
    jira_window_s: float = 10.0
    seed: int = 0


@dataclass(frozen=True)
class Creds:
    """The credentials the sandbox accepts (and signs webhooks with)."""

    jira_email: str = "bot@example.com"
    jira_token: str = "sandbox-jira-token"  # noqa: S105 - a fixed sandbox credential
    jira_pat: str = "sandbox-pat"
    trello_key: str = "sandbox-key"
    trello_token: str = "sandbox-trello-token"  # noqa: S105 - a fixed sandbox credential
    trello_secret: str = "sandbox-trello-secret"  # noqa: S105 - a fixed sandbox credential
    jira_webhook_secret: str = "sandbox-jira-webhook-secret"  # noqa: S105 - fixed sandbox value
    trello_accounts: int = 1  # more Trello accounts: account n > 0 is `<key>-n` with `<token>-n`

    def trello_account(self, n: int) -> tuple[str, str]:
        """The key and token of Trello account `n` (0 is `trello_key` with `trello_token`)."""
        if n == 0:
            return self.trello_key, self.trello_token
        return f"{self.trello_key}-{n}", f"{self.trello_token}-{n}"

    def trello_pair(self, key: str, token: str) -> str:
        """Why `key` with `token` is refused ("invalid key", "invalid token"), or "" when it
        is one of the accounts. A token must be of its key's own account."""
        n = self._account_of(key, self.trello_key)
        if n is None:
            return "invalid key"
        return "" if self.trello_account(n)[1] == token else "invalid token"

    def _account_of(self, value: str, base: str) -> int | None:
        if value == base:
            return 0
        head, _, n = value.rpartition("-")
        if head == base and n.isdigit() and 0 < int(n) < self.trello_accounts:
            return int(n)
        return None

    def trello_token_ok(self, token: str) -> bool:
        """Whether `token` is one the sandbox gave out."""
        return self._account_of(token, self.trello_token) is not None


@dataclass(frozen=True)
class SandboxConfig:
    """How big the simulated world is and how it behaves.

    `trello_limits` turns on Trello's real budgets (100 requests per 10 s per token, 300 per
    key); `trello_window_s` shortens the window for tests. `demo` replaces the random data
    with the small ACME scenario whose epics and labels carry WBS codes; `story` with the
    three demo clients' projects and boards, laid out from `start`.
    """

    seed: int = 1
    jira_issues: int = 200
    trello_cards: int = 100
    projects: tuple[str, ...] = ("ACME", "BETA")
    boards: int = 1
    latency_ms: int = 0
    faults: Faults = field(default_factory=Faults)
    trello_limits: bool = False
    trello_token_limit: int = 100
    trello_key_limit: int = 300
    trello_window_s: float = 10.0
    demo: bool = False
    story: bool = False  # the demo's three clients (`syncd.sandbox.story`), from `start`
    jira_timezone: str = "Europe/Berlin"
    start: datetime = DEFAULT_START
    creds: Creds = field(default_factory=Creds)
    host: str = "127.0.0.1"
    port: int = 0
