"""A minimal HTML page for an issue and for a card, as a browser sees a link to one.

Jira's `/browse/KEY` and Trello's `/c/SHORTLINK` answer to people, not to the API: no
credentials, just the item's key, title, status, assignee and history, so the demo's item links
open something. Everything from the state is escaped.
"""

from __future__ import annotations

from html import escape

from starlette.requests import Request
from starlette.responses import HTMLResponse
from starlette.routing import Route

from syncd.sandbox.context import Context

PAGE = """<!doctype html><html lang="en"><head><meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1"><title>{title}</title>
<style>body{{font:15px/1.5 system-ui,sans-serif;max-width:44rem;margin:2rem auto;padding:0 1rem;
color:#1f2933}} .muted{{color:#616e7c}} li{{margin:.2rem 0}}</style></head><body>
<p class="muted">{site} (syncd sandbox)</p><h1>{title}</h1>{body}</body></html>"""


def _page(site: str, title: str, rows: list[tuple[str, str]], history: list[str]) -> HTMLResponse:
    body = "<dl>" + "".join(f"<dt>{escape(k)}</dt><dd>{escape(v)}</dd>" for k, v in rows)
    body += "</dl><h2>History</h2><ul>" + "".join(f"<li>{escape(h)}</li>" for h in history)
    body += "</ul>" if history else "<li class='muted'>none</li></ul>"
    return HTMLResponse(PAGE.format(site=escape(site), title=escape(title), body=body))


def _changes(items: list[dict[str, str | None]]) -> str:
    return "; ".join(f"{i['field']} {i.get('fromString')} → {i.get('toString')}" for i in items)


def item_pages(ctx: Context) -> list[Route]:
    def issue(request: Request) -> HTMLResponse:
        state = ctx.state
        with state.lock:
            found = state.issues.get(str(request.path_params["key"]))
            if found is None:
                return HTMLResponse("<!doctype html><title>Not found</title>", status_code=404)
            user = state.users.get(found.assignee or "")
            rows = [
                ("Type", found.issuetype),
                ("Status", found.status.name),
                ("Assignee", user.display_name if user else "unassigned"),
                ("Parent", found.parent or "–"),
                ("Story points", "–" if found.story_points is None else f"{found.story_points:g}"),
            ]
            history = [
                f"{h.created:%Y-%m-%d %H:%M} UTC: "
                + "; ".join(
                    f"{i['field']} {i.get('fromString')} → {i.get('toString')}" for i in h.items
                )
                for h in found.changelog
            ]
            return _page("Jira", f"{found.key} {found.summary}", rows, history)

    def card(request: Request) -> HTMLResponse:
        state = ctx.state
        link = str(request.path_params["link"])
        with state.lock:
            found = next((c for c in state.cards.values() if f"c{c.id[-7:]}" == link), None)
            if found is None:
                return HTMLResponse("<!doctype html><title>Not found</title>", status_code=404)
            rows = [
                ("Board", state.boards[found.id_board].name),
                ("List", state.lists[found.id_list].name),
                ("Labels", ", ".join(state.labels[x].name for x in found.id_labels) or "–"),
            ]
            board = state.boards[found.id_board]
            history = [
                f"{a.date:%Y-%m-%d %H:%M} UTC: {a.type}"
                + (
                    f" {a.data['listBefore']['name']} → {a.data['listAfter']['name']}"
                    if "listAfter" in a.data
                    else ""
                )
                for a in (state.actions[x] for x in board.actions)
                if a.data.get("card", {}).get("id") == found.id
            ]
            return _page("Trello", found.name, rows, history)

    return [
        Route("/cloud/browse/{key}", issue, methods=["GET"]),
        Route("/dc/browse/{key}", issue, methods=["GET"]),
        Route("/trello/c/{link}", card, methods=["GET"]),
        Route("/trello/c/{link}/{slug:path}", card, methods=["GET"]),
    ]
