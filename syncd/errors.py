"""The one exception tree of syncd.

    SyncdError
    ├── ConfigError            bad settings or client configuration; fix the file, then retry
    ├── MappingError           an item or plan row that cannot be understood; quarantined, skipped
    ├── PlanError              a plan file that cannot be imported; nothing of it is stored
    ├── StartError             the database cannot be reached or brought to this version's schema
    ├── MaybeSentError         an e-mail or chat message left without an answer: not re-sent alone
    └── RemoteError            something a remote service answered (or failed to answer)
        ├── TransientError     worth retrying: 5xx, dropped connection, timeout
        │   ├── RateLimitedError  429 (or 503 with Retry-After); carries retry_after seconds
        │   └── NotSentError   a message refused before it was taken: safe to send again
        └── PermanentError     retrying will not help: 4xx other than 429
            ├── AuthError      401/403: credentials are wrong or lack permission
            ├── NotFoundError  404: the target does not exist (or is not visible)
            └── PagingError    a listing's next page leads back (a token again, an offset not
                               moving on): reading on would never end

Foreign exceptions (httpx, SQLAlchemy, tomllib) are turned into these in exactly one place each.
"""

from __future__ import annotations

from syncd import redact


class SyncdError(Exception):
    """Base class of every error syncd raises on purpose."""


class ConfigError(SyncdError):
    """Settings or client configuration are invalid."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class MappingError(SyncdError):
    """A payload could not be turned into the normalized model."""


class PlanError(SyncdError):
    """A plan file could not be imported; each problem names the file, row or task."""

    def __init__(self, problems: list[str] | str) -> None:
        self.problems = [problems] if isinstance(problems, str) else list(problems)
        super().__init__("\n".join(self.problems))


class StartError(SyncdError):
    """A process cannot start: its database is unreachable, or its schema is not this version's."""


class RemoteError(SyncdError):
    """A remote service failed a request."""

    def __init__(self, message: str, *, status: int | None = None, service: str = "") -> None:
        self.status = status
        self.service = service
        super().__init__(redact.text(message))  # answers may echo a URL or a credential


class TransientError(RemoteError):
    """A failure that may pass: retry with backoff."""


class RateLimitedError(TransientError):
    """The remote asked us to slow down; wait `retry_after` seconds before the next try."""

    def __init__(
        self, message: str, *, retry_after: float, status: int | None = 429, service: str = ""
    ) -> None:
        self.retry_after = retry_after
        super().__init__(message, status=status, service=service)


class PermanentError(RemoteError):
    """A failure that repeats on retry: record it, do not retry."""


class AuthError(PermanentError):
    """Credentials were refused or lack a permission."""


class NotFoundError(PermanentError):
    """The addressed object does not exist or is not visible."""


class PagingError(PermanentError):
    """A listing's answer points back to a page already read: a pull would never end."""


class NotSentError(TransientError):
    """A message (e-mail, chat) was refused before anyone took it: sending it again is safe."""


class MaybeSentError(SyncdError):
    """A message left and no answer came back: it may have been delivered, so it is not sent
    again on its own."""
