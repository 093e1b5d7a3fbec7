"""Pages that update themselves, and the glossary their figures link to.

`GET /api/version` answers with a short token that changes whenever something a page shows may
have changed: a new snapshot, a sync problem opened or closed, a job gone dead or replayed. The
pages ask for it every few seconds (`static/dashboard.js`) and fetch themselves again only when
it moved, so a dashboard left open costs three small queries per poll.
"""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Route

from syncd.web import data
from syncd.web.auth import principal_of, protected
from syncd.web.pages import denied, render

guard = protected(denied)


@guard
def version(request: Request) -> Response:
    """The change token of one client (``?client=``), or of every client the token sees."""
    client = request.query_params.get("client")
    principal = principal_of(request)
    if client is not None:
        if client not in data.clients(request) or not principal.sees(client):
            return JSONResponse({"error": "not found"}, status_code=404)
    elif principal.client is not None:
        client = principal.client
    token = data.version_of(request.app.state.engine, client)
    return JSONResponse({"version": token}, headers={"Cache-Control": "no-store"})


GLOSSARY = (
    ("PV", "Planned value", "The budget of the work the plan says should be done by the status "
     "date.", "PV = Σ task budget × share of the task's working days passed"),
    ("EV", "Earned value", "The budget of the work actually done by the status date.",
     "EV = Σ task budget × % complete"),
    ("AC", "Actual cost", "What the work done so far actually cost (hours logged or money).",
     "AC = Σ time spent (× rate)"),
    ("BAC", "Budget at completion", "The whole plan's budget.", "BAC = Σ task budgets"),
    ("SV", "Schedule variance", "How much more (or less) work is done than planned, in budget "
     "units. Negative: behind.", "SV = EV − PV"),
    ("SPI", "Schedule performance index", "Work done per unit of work planned. 1 is on plan, "
     "0.9 means 10 % less done than planned.", "SPI = EV / PV"),
    ("CPI", "Cost performance index", "Value of work done per unit spent. Below 1 the work "
     "costs more than budgeted.", "CPI = EV / AC"),
    ("ES", "Earned schedule", "The date by which the plan expected the work done now.",
     "ES = the time at which PV reached today's EV"),
    ("SPI(t)", "Schedule performance index in time", "Like SPI, but in time: it stays "
     "meaningful late in a project, where SPI drifts back to 1.", "SPI(t) = ES / actual time"),
    ("SV(t)", "Schedule variance in time", "How many working days ahead (+) or behind (−) the "
     "work is.", "SV(t) = ES − actual time, in working days"),
    ("wd", "Working days", "Days the client works: weekends and holidays of the client and the "
     "plan do not count. Slips and floats are in working days.", ""),
    ("Slip", "Forecast slip", "How many working days after its baseline a task or milestone is "
     "forecast to finish. Positive: late.", "slip = forecast finish − baseline finish (wd)"),
    ("Float", "Total float", "How many working days a task can slip before it delays the end.",
     "total float = late finish − early finish (wd)"),
    ("Scope growth", "Unplanned work", "Items in the trackers linked to no plan task, as a "
     "share of the planned items. They earn nothing and are never added to the budget.",
     "growth = unplanned items / planned items"),
    ("RAG", "Red, amber, green", "The client's colour: the worst of SPI, CPI, SPI(t), finish "
     "and milestone slip, and scope growth, each judged by the client's thresholds "
     "(defaults: amber below 0.95 or from 1 wd late or 5 % growth; red below 0.85, from 5 wd "
     "late or 15 % growth).", ""),
)  # fmt: skip


@guard
def glossary(request: Request) -> Response:
    """Every abbreviation the dashboard uses, in plain words, with its formula."""
    return render(request, "glossary.html", terms=GLOSSARY)


def routes() -> list[Route]:
    return [
        Route("/api/version", version, methods=["GET"], name="version"),
        Route("/glossary", glossary, methods=["GET"], name="glossary"),
    ]
