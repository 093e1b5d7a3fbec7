"""The `[[connectors]]` entry of a corkboard (`kind = "corkboard"`)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from syncd.connectors.config import ID_PATTERN, Strict


class CorkboardConfig(Strict):
    """One board of the in-memory corkboard service, read with a token."""

    kind: Literal["corkboard"]
    id: str = Field(pattern=ID_PATTERN)
    board: str = Field(min_length=1)  # the board's name on the service
    token_env: str  # the environment variable holding the board's token
    page_size: int = Field(default=50, ge=1, le=500)
    census_every: int = Field(default=24, ge=1)
    status_note: bool = True  # push the consolidated status as one note pinned on the board
