"""Whether the pulled data is whole and fresh, as data warnings stored with a snapshot.

Pure: a client's info, its items and its sync health (the store's open problems and last
successful pulls) in; a warning out for each connector with quarantined items, whose last pull
failed, or whose last successful pull is stale, saying as of when its items are.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from datetime import datetime

from syncd.model import Health, Problem, WorkItem
from syncd.plan.quality import DataWarning, warning
from syncd.reports.build import source_progress
from syncd.reports.model import ClientInfo
from syncd.terminal import printable

REASONS = 2  # quarantine reasons quoted per connector
Quarantine = tuple[int, tuple[str, ...]]  # how many items, their distinct reasons


def sync_warnings(
    client: ClientInfo,
    items: Sequence[WorkItem],
    health: Health,
    quarantined: Mapping[str, Quarantine] | None = None,
) -> list[DataWarning]:
    """Quarantined items, failed pulls and stale connectors of `client`, one warning each.

    `quarantined` counts every open quarantine row per connector (the store's
    `quarantine_census`); without it, those among `health.problems` are counted.
    """
    found = _quarantined(quarantined if quarantined is not None else census(health.problems))
    failed = {p.source: p for p in health.problems if p.kind == "pull" and p.source}
    for source in source_progress(client, items, health):
        when = _when(source.last_success)
        if source.source in failed:
            why = _short(failed[source.source].message)
            found.append(
                warning(
                    "pull_failed",
                    f"{source.source}: the last pull failed ({why}); its items are as of "
                    f"its last successful pull, {when}",
                    source=source.source,
                    note=f"{source.source} as of {when}",
                )
            )
        elif source.stale:
            found.append(
                warning(
                    "stale",
                    f"{source.source}: no successful pull since {when}; its items are as of then"
                    if source.last_success
                    else f"{source.source}: never pulled successfully; it adds nothing",
                    source=source.source,
                    note=f"{source.source} as of {when}",
                )
            )
    return found


def census(problems: Sequence[Problem]) -> dict[str, Quarantine]:
    """Open quarantine problems per connector: how many, and their distinct reasons."""
    found: dict[str, Quarantine] = {}
    for p in problems:
        if p.kind == "quarantine":
            count, reasons = found.get(p.source or "?", (0, ()))
            found[p.source or "?"] = (count + 1, tuple(dict.fromkeys((*reasons, p.message))))
    return found


def _quarantined(counts: Mapping[str, Quarantine]) -> list[DataWarning]:
    found = []
    for source, (count, reasons) in sorted(counts.items()):
        said = list(dict.fromkeys(map(_short, reasons)))
        why = "; ".join(said[:REASONS]) + ("; …" if len(said) > REASONS else "")
        found.append(
            warning(
                "quarantined",
                f"{source}: {count} item(s) quarantined (could not be read) and left out of "
                f"every figure: {why}",
                source=source,
                note=f"{count} item(s) of {source} quarantined",
            )
        )
    return found


def _when(moment: datetime | None) -> str:
    return "never" if moment is None else moment.strftime("%Y-%m-%d %H:%M UTC")


def _short(message: str, limit: int = 160) -> str:
    text = printable(" ".join(message.split()))
    return text if len(text) <= limit else text[: limit - 1] + "…"
