"""The work a job row stands for: its kind, and what each kind carries.

The scheduler, the pipeline, the webhook receiver and the communication plan queue a typed
value (`PullJob`, `PushJob`…); the store keeps its wire form in the row's `payload` JSON, and
the actor that claims the row reads the value back (`Claimed.carried`). The wire form is the
one syncd always wrote, so rows queued by an earlier version run as they are: a status
without a category, a webhook without a delivery id, or a row asked for again while it ran
(the store's `_again` count) all read back.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, ClassVar, TypeVar

from syncd.model import StatusCategory, StatusPush


class JobKind(StrEnum):
    """What a job does; the value is the `jobs.kind` column and the actor's name."""

    PULL = "pull"  # pull one connector (its id is the row's target)
    RECONCILE = "reconcile"  # reconcile one client, queue the pushes that changed
    PUSH = "push"  # write one status to one target
    WEBHOOK = "webhook"  # one delivery of a tracker's webhook: pull its connector
    DELIVER = "deliver"  # send one delivery of the communication plan


@dataclass(frozen=True)
class PullJob:
    """Pull one connector: the row's target names it; nothing else is carried."""

    kind: ClassVar[JobKind] = JobKind.PULL

    def wire(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> PullJob:
        return cls()


@dataclass(frozen=True)
class ReconcileJob:
    """Reconcile the row's client; nothing is carried."""

    kind: ClassVar[JobKind] = JobKind.RECONCILE

    def wire(self) -> dict[str, Any]:
        return {}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> ReconcileJob:
        return cls()


@dataclass(frozen=True)
class PushJob:
    """Write `status` to `target` of connector `source`."""

    kind: ClassVar[JobKind] = JobKind.PUSH
    source: str
    target: str
    status: StatusPush

    def wire(self) -> dict[str, Any]:
        return {"source": self.source, "target": self.target, "status": asdict(self.status)}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> PushJob:
        return cls(source=data["source"], target=data["target"], status=status_of(data["status"]))


def status_of(data: Mapping[str, Any]) -> StatusPush:
    """A `StatusPush` from its wire form (lists for tuples; no category in older rows)."""
    values = dict(data)
    values["fields"] = tuple(tuple(pair) for pair in values.get("fields", ()))
    category = values.get("category")
    values["category"] = StatusCategory(category) if category else None
    return StatusPush(**values)


@dataclass(frozen=True)
class WebhookJob:
    """A tracker's webhook `delivery` for connector `source`, with its parsed `body`."""

    kind: ClassVar[JobKind] = JobKind.WEBHOOK
    source: str
    delivery: str = ""
    body: dict[str, Any] = field(default_factory=dict)

    def wire(self) -> dict[str, Any]:
        return {"source": self.source, "delivery": self.delivery, "body": self.body}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> WebhookJob:
        return cls(data["source"], str(data.get("delivery", "")), data.get("body", {}))


@dataclass(frozen=True)
class DeliverJob:
    """Send delivery `key` of the communication plan (``client:entry:status date``)."""

    kind: ClassVar[JobKind] = JobKind.DELIVER
    key: str

    def wire(self) -> dict[str, Any]:
        return {"key": self.key}

    @classmethod
    def from_wire(cls, data: Mapping[str, Any]) -> DeliverJob:
        return cls(key=data["key"])


Work = PullJob | ReconcileJob | PushJob | WebhookJob | DeliverJob
W = TypeVar("W", PullJob, ReconcileJob, PushJob, WebhookJob, DeliverJob)
SHAPES: dict[JobKind, type[Work]] = {
    shape.kind: shape for shape in (PullJob, ReconcileJob, PushJob, WebhookJob, DeliverJob)
}


def work_of(kind: str, data: Mapping[str, Any]) -> Work:
    """The typed work of a row of `kind` from its payload; KeyError when the payload lacks what
    the kind needs, ValueError for a kind syncd does not know."""
    return SHAPES[JobKind(kind)].from_wire(data)
