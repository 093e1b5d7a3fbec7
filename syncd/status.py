"""A client's consolidated status from the store: its snapshots read back through the plan's
types, its items and its sync health, handed to the pure `reports.build_status`."""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime, time
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine

from syncd.mapping.history import items_as_of
from syncd.plan.snapshot import StatusSnapshot
from syncd.reports.build import build_status
from syncd.reports.model import ClientInfo, CurvePoint, SourceInfo, Status
from syncd.reports.snapshot import stored_curve_point
from syncd.store import load_items
from syncd.store.health import health
from syncd.store.snapshots import curve_parts, newest
from syncd.store.snapshots import history as stored


class NoSnapshotError(LookupError):
    """The client has no stored snapshot on or before the asked status date."""


def snapshots(engine: Engine, client: str, as_of: date | None = None) -> list[StatusSnapshot]:
    """Every snapshot of a client up to `as_of` (all when None), oldest first, typed."""
    return [StatusSnapshot.from_dict(data) for data in stored(engine, client, as_of)]


def recent(
    engine: Engine, client: str, as_of: date | None = None, *, count: int = 1
) -> list[StatusSnapshot]:
    """The newest `count` snapshots of a client up to `as_of` (all when None), oldest first."""
    return [StatusSnapshot.from_dict(data) for data in newest(engine, client, as_of, count=count)]


def curve_points(engine: Engine, client: str, as_of: date | None = None) -> list[CurvePoint]:
    """The S-curve point of every snapshot of a client up to `as_of` (all when None), oldest
    first: a status reads these of its history, not each snapshot whole (a millisecond each)."""
    return [stored_curve_point(parts) for parts in curve_parts(engine, client, as_of)]


def load_status(engine: Engine, client: str | ClientInfo, as_of: date | None = None) -> Status:
    """The consolidated status of `client` on `as_of` (default: its newest snapshot).

    With `as_of`, the newest snapshot on or before it is shown, and the items listed beside it
    are as they stood on that snapshot's date (their status history), not as they are today.
    """
    info = client if isinstance(client, ClientInfo) else ClientInfo(id=client, name=client)
    history = recent(engine, info.id, as_of, count=2)
    if not history:
        when = f" on or before {as_of}" if as_of else ""
        raise NoSnapshotError(f"client {info.id!r} has no status snapshot{when}")
    state = health(engine, info.id)
    if not info.sources:
        sources = tuple(SourceInfo(id=s, kind="") for s, _ in state.pulls)
        info = replace(info, sources=sources)
    items = load_items(engine, info.id)
    if as_of is not None:  # an asked date: the items as they stood on the snapshot's date
        end = datetime.combine(history[-1].as_of, time.max, tzinfo=ZoneInfo(info.timezone))
        items = items_as_of(items, end).items
    previous = history[-2] if len(history) > 1 else None
    points = curve_points(engine, info.id, as_of)  # the current one's point is its own
    return build_status(info, history[-1], previous, items, state, history=points)
