"""`[[communication]]` entries of a client file: audience, channel, cadence or trigger, form.

Strict like the rest of the file: unknown keys are errors. A chat webhook's URL is a secret
and is named by `webhook_env`, never written in the file.
"""

from __future__ import annotations

import re
from email.utils import parseaddr
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

Channel = Literal["email", "slack", "teams"]
Trigger = Literal["rag_change", "milestone_slip", "dead_letter", "risk_overdue"]
Form = Literal["summary", "full", "review-pack"]
ADDRESS = re.compile(r"^[^@\s<>]+@[^@\s<>]+\.[^@\s<>]+$")


class CommunicationEntry(BaseModel):
    """One line of the communication plan."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9_-]{0,39}$")
    channel: Channel
    audience: list[str] = Field(default_factory=list)  # e-mail: "Name <a@b.example>" or address
    webhook_env: str | None = None  # Slack / Teams: the variable holding the webhook URL
    cron: str | None = None  # a cadence in the client's time zone, e.g. "0 9 * * mon"
    trigger: Trigger | None = None
    slip_days: float = Field(default=5.0, gt=0)  # milestone_slip: working days that trigger it
    form: Form = "summary"
    paper: Literal["A4", "Letter"] = "A4"  # the PDF's page size
    subject: str | None = Field(default=None, max_length=200)
    feedback: bool = True  # a signed feedback link in e-mails

    @field_validator("cron")
    @classmethod
    def _valid_cron(cls, value: str | None) -> str | None:
        if value is not None:
            from croniter import croniter

            if not croniter.is_valid(value):
                raise ValueError(f"not a cron expression: {value!r} (e.g. '0 9 * * mon')")
        return value

    @field_validator("audience")
    @classmethod
    def _addresses(cls, value: list[str]) -> list[str]:
        bad = [a for a in value if not ADDRESS.match(parseaddr(a)[1]) or "\n" in a or "\r" in a]
        if bad:
            raise ValueError(f"not an e-mail address: {', '.join(map(repr, bad))}")
        return value

    @model_validator(mode="after")
    def _complete(self) -> CommunicationEntry:
        if (self.cron is None) == (self.trigger is None):
            raise ValueError("give either cron (a cadence) or trigger (an event), not both")
        if self.channel == "email" and not self.audience:
            raise ValueError("an e-mail entry needs audience = ['Name <address>', …]")
        if self.channel != "email" and not self.webhook_env:
            raise ValueError(f"a {self.channel} entry needs webhook_env = '<VARIABLE>'")
        return self

    @property
    def when(self) -> str:
        """How the plan says it goes out: ``cron 0 9 * * mon`` or ``on rag_change``."""
        return f"cron {self.cron}" if self.cron else f"on {self.trigger}"


def duplicate_ids(entries: list[CommunicationEntry]) -> list[str]:
    """Problems for entry ids used twice, as `communication[i].id: …`."""
    seen: dict[str, int] = {}
    problems = []
    for index, entry in enumerate(entries):
        if entry.id in seen:
            problems.append(
                f"communication[{index}].id: duplicate entry id {entry.id!r}"
                f" (also communication[{seen[entry.id]}])"
            )
        seen.setdefault(entry.id, index)
    return problems
