"""The dashboard pages: every client at a glance, one client in depth, and dead-letter replay.

Handlers are plain functions (Starlette runs them in its thread pool), guarded by a token.
Everything from a tracker goes through Jinja2 autoescaping.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from itertools import groupby
from typing import TYPE_CHECKING, Any
from urllib.parse import quote, urlsplit

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape
from sqlalchemy.engine import Engine
from starlette.requests import Request
from starlette.responses import HTMLResponse, RedirectResponse, Response
from starlette.routing import Route

from syncd.reports import html as report_html
from syncd.reports.build import natural, source_progress
from syncd.reports.charts import chart_data
from syncd.reports.model import ClientInfo, ItemRef, Status
from syncd.reports.overview import ClientSummary, portfolio, worst_first
from syncd.status import NoSnapshotError, load_status
from syncd.store import jobs
from syncd.store.jobs import Replayed
from syncd.store.work import JobKind
from syncd.web import data, triage
from syncd.web.auth import principal_of, protected

if TYPE_CHECKING:
    from syncd.plan.baseline import Baseline

MAX_JOB_ID = 2**53  # the API's bound too


@cache
def environment() -> Environment:
    loader = ChoiceLoader([PackageLoader("syncd.web", "templates"), report_html.loader()])
    return report_html.configure(
        Environment(loader=loader, autoescape=select_autoescape(default=True))
    )


def render(request: Request, name: str, code: int = 200, **context: Any) -> HTMLResponse:
    body = (
        environment()
        .get_template(name)
        .render(request_id=getattr(request.state, "request_id", ""), **context)
    )
    return HTMLResponse(body, status_code=code)


MESSAGES = {
    401: ("Sign in needed", "This page needs an access token."),
    403: ("Refused", "This request came from another site and was refused."),
    404: ("Not found", "There is no such page or client."),
}


def denied(request: Request, status: int) -> Response:
    title, message = MESSAGES[status]
    response = render(request, "message.html", status, title=title, message=message, status=status)
    if status == 401:
        response.headers["WWW-Authenticate"] = 'Bearer realm="syncd"'
    return response


guard = protected(denied)


@guard
def overview(request: Request) -> Response:
    """All clients the token may see, worst first, with the reason, figures and sync health."""
    version = data.version_of(request.app.state.engine, principal_of(request).client)
    rows = worst_first(visible_summaries(request))
    owners = sorted({r.owner for r in rows if r.owner})
    tags = sorted({t for r in rows for t in r.tags})
    return render(
        request,
        "overview.html",
        rows=rows,
        total=portfolio(rows),
        owners=owners,
        tags=tags,
        version=version,
    )


def visible_summaries(request: Request) -> list[ClientSummary]:
    """The overview line of every client the request's token may see."""
    principal = principal_of(request)
    infos = {cid: i for cid, i in data.clients(request).items() if principal.sees(cid)}
    return triage.summaries(request.app.state.engine, infos)


@dataclass(frozen=True)
class ItemPage:
    """One page of a connector's items on the client page."""

    source: str
    items: list[ItemRef]
    total: int
    page: int
    pages: int


def _items_by_source(items: list[ItemRef], page: int) -> list[ItemPage]:
    ordered = sorted(items, key=lambda r: (r.source, natural(r.key)))
    out = []
    for src, group in groupby(ordered, lambda r: r.source):
        listed = list(group)
        pages = max(1, -(-len(listed) // data.PAGE_SIZE))
        at = min(page, pages)
        chunk = listed[(at - 1) * data.PAGE_SIZE : at * data.PAGE_SIZE]
        out.append(ItemPage(src, chunk, len(listed), at, pages))
    return out


def _status(request: Request, info: ClientInfo) -> Status | None:
    try:
        as_of = data.as_of_param(request)
    except ValueError:
        as_of = None
    try:
        return load_status(request.app.state.engine, info, as_of)
    except NoSnapshotError:
        return None


@guard
def client_page(request: Request) -> Response:
    """One client: standing, Gantt, S-curve, variance, items by source, sync health."""
    info = data.client_or_none(request)
    if info is None:
        return denied(request, 404)
    engine = request.app.state.engine
    version = data.version_of(engine, info.id)  # before reading: a change after it shows
    status = _status(request, info)
    state = data.client_health(engine, info)
    items = list(status.items) if status else data.item_refs(engine, info)
    live = data.work_items(engine, info.id) if status is None else None
    sources = status.sources if status else source_progress(info, live or [], state)
    notice = _notice(request, engine, info.id)
    problems = [p for p in state.problems if p.kind != "quarantine"]
    return render(
        request,
        "client.html",
        info=info,
        s=status,
        chart_data=chart_data(status, _baseline(engine, info.id, status)) if status else None,
        items_by_source=_items_by_source(items, data.page_param(request)),
        sources=sources,
        failures=state.failures,
        failed_pulls=[p for p in problems if p.kind == "pull"],
        stale=[p for p in sources if p.stale],
        quarantine=data.quarantine_by_reason(engine, info.id),
        at_risk=[m for m in status.milestones if m.at_risk and not m.done] if status else [],
        problem_groups=[
            (kind, list(group))
            for kind, group in groupby(sorted(problems, key=lambda p: p.kind), lambda p: p.kind)
            if kind != "dead"  # listed by target, as `failures`
        ],
        replay_url=_replay_url(info.id),
        notice=notice,
        version=version,
    )


def _baseline(engine: Any, client: str, status: Status) -> Baseline | None:
    """The baseline the status was measured against (its version), for the charts."""
    from syncd.plan.baseline import Baseline
    from syncd.store.baselines import load_baseline

    row = load_baseline(engine, client, status.baseline_version)
    try:
        return Baseline.from_dict(row.data) if row is not None else None
    except (KeyError, TypeError, ValueError):  # an old row the charts can do without
        return None


def _notice(request: Request, engine: Engine, client: str) -> str:
    """What the last replay did, from the query the replay redirected to."""
    query = request.query_params
    job_ids = {k: int(v) for k, v in query.items() if v.isdigit() and len(v) < 16}
    if "replayed" in job_ids:
        said = _replayed(engine, client, job_ids["replayed"])
    elif "covered" in job_ids:
        said = "Nothing replayed: a newer push to that target is queued already."
    elif "failed" in job_ids:
        return f"Dead letter {job_ids['failed']} was not replayed: it is no longer dead."
    else:
        return ""
    aside = job_ids.get("set_aside", 0)
    pushes = "failed push" if aside == 1 else "failed pushes"
    return said + (f" {aside} older {pushes} to it set aside, not sent." if aside else "")


def _replayed(engine: Engine, client: str, job_id: int) -> str:
    """The replayed job in words: a push by its target (a replay sends its newest status)."""
    row = jobs.get(engine, job_id)
    if row is None or row.client != client or row.kind != JobKind.PUSH or not row.target:
        return f"Dead letter {job_id} replayed: it is queued again."
    name = row.target.split(":", 1)[-1]
    return f"Push to {name} replayed: its newest status (dead letter {job_id}) is queued again."


def _replay_url(client: str) -> Callable[[int], str]:
    return lambda job_id: f"/clients/{quote(client, safe='')}/dead-letters/{job_id}/replay"


def same_origin(request: Request) -> bool:
    """A state-changing request must come from this site (cookies ride along otherwise).

    Browsers say where a request comes from in Sec-Fetch-Site, older ones in Origin; a client
    that sends neither (curl, a script with a bearer token) is not a browser riding a cookie.
    """
    site = request.headers.get("sec-fetch-site")
    if site is not None:
        return site in ("same-origin", "none")
    origin = request.headers.get("origin")
    if origin is None or origin == "null":
        return origin is None
    return urlsplit(origin).netloc == request.headers.get("host", "")


@guard
def replay(request: Request) -> Response:
    """Replay one dead letter of this client (a failed push: its target, once, by the newest
    status), then show the client page again."""
    if not same_origin(request):
        return denied(request, 403)
    client = str(request.path_params["client"])
    if data.client_or_none(request) is None:
        return denied(request, 404)
    job_id = int(request.path_params["job_id"])
    outcome = None
    if 0 < job_id < MAX_JOB_ID:  # beyond any id the store holds, or can even compare with
        outcome = data.replay(request.app.state.engine, client, job_id)
    if outcome is None:
        return denied(request, 404)
    target = f"/clients/{quote(client, safe='')}?{_replay_query(job_id, outcome)}#needs-action"
    return RedirectResponse(target, status_code=303)


def _replay_query(job_id: int, outcome: Replayed | bool) -> str:
    """The query that tells the client page what a replay did (`_notice` reads it)."""
    if isinstance(outcome, bool):
        return f"failed={job_id}"
    key, shown = ("replayed", outcome.queued) if outcome.queued else ("covered", job_id)
    aside = f"&set_aside={len(outcome.set_aside)}" if outcome.set_aside else ""
    return f"{key}={shown}{aside}"


def routes() -> list[Route]:
    return [
        Route("/", overview, methods=["GET"], name="overview"),
        Route("/clients/{client}", client_page, methods=["GET"], name="client"),
        Route(
            "/clients/{client}/dead-letters/{job_id:int}/replay",
            replay,
            methods=["POST"],
            name="replay",
        ),
    ]
