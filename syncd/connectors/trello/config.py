"""The `[[connectors]]` entry of a Trello board (`kind = "trello"`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, field_validator

from syncd.connectors.config import ID_PATTERN, Strict


class TrelloPush(Strict):
    """Where and how a Trello connector shows the consolidated status."""

    list: str | None = None  # name of the list holding the status card; None: no card
    card_title: str = "Project status (syncd)"
    comment: bool = True
    labels: bool = True
    custom_fields: bool = True


class TrelloConfig(Strict):
    kind: Literal["trello"]
    id: str = Field(pattern=ID_PATTERN)
    url: str = "https://api.trello.com/1"
    board: str = Field(min_length=1)
    key_env: str
    token_env: str
    secret_env: str | None = None  # the app secret that signs webhooks
    census_every: int = Field(default=24, ge=1)
    push: TrelloPush = Field(default_factory=TrelloPush)

    @field_validator("url")
    @classmethod
    def _http_url(cls, value: str) -> str:
        if not value.startswith(("http://", "https://")):
            raise ValueError("must start with https:// (or http:// for a local sandbox)")
        return value.rstrip("/")
