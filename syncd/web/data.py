"""What pages and the API read: known clients, the status-date parameter, items, replay."""

from __future__ import annotations

from dataclasses import replace
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy.engine import Engine
from starlette.requests import Request

from syncd.clientdir import ClientDirectory
from syncd.model import Health, Problem, WorkItem
from syncd.reports.build import item_ref, natural
from syncd.reports.model import ClientInfo, ItemRef
from syncd.settings import Settings
from syncd.store.health import health
from syncd.store.items import load_items
from syncd.store.jobs import Replayed
from syncd.store.overview import version
from syncd.store.problems import quarantine_reasons
from syncd.web.directory import known_clients


def clients(request: Request) -> dict[str, ClientInfo]:
    """Every client the app knows (configured or stored), by id; client files that changed
    since the last request are read again first."""
    settings: Settings = request.app.state.settings
    directory: ClientDirectory = request.app.state.clients
    directory.refresh()
    return known_clients(request.app.state.engine, directory, public_url=settings.public_url)


def client_or_none(request: Request) -> ClientInfo | None:
    """The client named in the path, or None when there is no such client."""
    return clients(request).get(str(request.path_params.get("client", "")))


def client_health(engine: Engine, info: ClientInfo) -> Health:
    """The store's sync health of a client, with its configuration problems first."""
    state = health(engine, info.id)
    if not info.problems:
        return state
    config = tuple(Problem("config", None, message, None) for message in info.problems)
    return replace(state, problems=config + state.problems)


def as_of_param(request: Request) -> date | None:
    """The ``as_of`` query parameter (YYYY-MM-DD); ValueError when it is not a date."""
    raw = request.query_params.get("as_of")
    if raw is None or raw == "":
        return None
    if len(raw) != 10:
        raise ValueError("as_of must be a date, YYYY-MM-DD")
    return date.fromisoformat(raw)


def work_items(engine: Engine, client: str) -> list[WorkItem]:
    return [i for i in load_items(engine, client) if not i.archived]


def item_refs(engine: Engine, info: ClientInfo) -> list[ItemRef]:
    """The client's stored items as report item references, by source and key."""
    zone = ZoneInfo(info.timezone)
    refs = [item_ref(i, zone, task=i.plan_task) for i in work_items(engine, info.id)]
    return sorted(refs, key=lambda r: (r.source, natural(r.key)))


def replay(engine: Engine, client: str, job_id: int) -> Replayed | bool | None:
    """Replay a dead letter of `client` (a dead push: its target's newest, once): what it did,
    False when it is not dead now, None when there is no such job here."""
    from syncd.store import jobs

    if jobs.owner(engine, job_id) != client:
        return None
    return jobs.replay_job(engine, job_id) or False


QUARANTINE_GROUPS = 20  # reasons listed; the rest are counted


def quarantine_by_reason(engine: Engine, client: str) -> list[tuple[str, str, int]]:
    """Open quarantined items grouped by connector and reason: (source, reason, count), the
    largest groups first."""
    from syncd import redact

    rows = quarantine_reasons(engine, client, limit=QUARANTINE_GROUPS)
    return [(source or "?", redact.text(message), int(n)) for source, message, n in rows]


PAGE_SIZE = 50  # items listed per source and page


def page_param(request: Request) -> int:
    """The ``items_page`` query parameter: 1 when absent or not a positive number."""
    raw = request.query_params.get("items_page", "1")
    return int(raw) if raw.isdigit() and 0 < int(raw) < 10**6 else 1


def version_of(engine: Engine, client: str | None) -> str:
    """A token that moves with every new snapshot, sync problem or dead letter (of `client`)."""
    parts = version(engine, client)
    return "-".join(f"{top or 0}.{count}" for top, count in parts)
