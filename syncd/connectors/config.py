"""Config models of the connectors, as they appear in `[[connectors]]` of a client file.

Fields ending in `_env` name an environment variable; `clients.load_client` resolves them into
`SecretStr` values on `secrets`, which never print.
"""

from __future__ import annotations

from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, SecretStr

from syncd import redact

ID_PATTERN = r"^[a-z0-9][a-z0-9_-]{0,62}$"


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Secrets(BaseModel):
    """Resolved secret values of one connector; repr and str show only asterisks."""

    model_config = ConfigDict(frozen=True)

    token: SecretStr | None = None
    key: SecretStr | None = None
    webhook_secret: SecretStr | None = None
    client_id: SecretStr | None = None
    client_secret: SecretStr | None = None
    refresh_token: SecretStr | None = None

    def model_post_init(self, context: Any, /) -> None:
        """Mask every value but the OAuth client id (public, and part of a callback URL) in
        whatever the process writes from now on."""
        names = ("token", "key", "webhook_secret", "client_secret", "refresh_token")
        redact.remember(*(self.value(name) for name in names))

    def value(self, name: str) -> str:
        secret = getattr(self, name)
        return secret.get_secret_value() if secret is not None else ""


class Entry(Protocol):
    """What syncd reads of every `[[connectors]]` entry, whatever its kind: the kind's name, the
    entry's id and how many pulls go between two censuses of the ids still visible."""

    @property
    def kind(self) -> str: ...

    @property
    def id(self) -> str: ...

    @property
    def census_every(self) -> int: ...
