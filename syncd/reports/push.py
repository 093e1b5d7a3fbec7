"""The status pushed back into the trackers: short bodies for a Jira comment and a Trello card.

One set of lines (`summary_lines`) is rendered by one renderer per body format (`RENDERERS`):
Markdown (Trello), Atlassian Document Format (Jira Cloud), wiki markup (Jira Data Center) and
HTML. Each reads at a glance and links to the dashboard. Every status carries the first three;
HTML when a connector of the client takes it. `digest` covers every rendered byte and nothing
volatile, so pushing the same status twice writes once.
"""

from __future__ import annotations

import hashlib
import html
import json
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Any

from syncd.model import BodyFormat, StatusCategory, StatusPush
from syncd.reports import text as t
from syncd.reports.model import Status

MACHINE_SCHEMA = "syncd.status/1"
TOP = 3  # milestones, tasks and reasons shown in a push body


@dataclass(frozen=True, slots=True)
class Span:
    """A piece of a line: plain text (escaped per format) or bold, or a link."""

    text: str
    bold: bool = False
    url: str = ""
    trusted: bool = False  # syncd's own words; tracker text is never trusted


Line = tuple[Span, ...]


def _s(text: str, **kw: Any) -> Span:
    return Span(text, **kw)


def _own(text: str) -> Span:
    return Span(text, trusted=True)


def summary_lines(status: Status) -> tuple[Line, list[Line]]:
    """The title line and the bullet lines every push body shows."""
    s, f, fc = status, status.figures, status.forecast
    title: Line = (
        Span(f"Project status: {s.rag.level.value.capitalize()}", bold=True, trusted=True),
        _own(f" ({t.day(s.as_of)})"),
    )
    bullets: list[Line] = [
        (_s(s.headline),),
        (
            _own(f"Progress: {t.percent(f.percent_complete)} done"),
            *_note(s, "percent_complete"),
            _own(f" vs {t.percent(f.percent_planned)} planned; SPI {t.index(f.spi)}"),
            *_note(s, "spi"),
            _own(f", SPI(t) {t.index(f.spi_t)}"),
            *_note(s, "spi_t"),
        ),
        (
            _own(
                f"Forecast finish: {t.day(fc.cpm_finish)} (CPM), {t.day(fc.es_finish)}"
                f" (earned schedule); baseline {t.day(fc.baseline_finish)}"
            ),
            *_note(s, "forecast"),
        ),
    ]
    if why := s.withheld("cpi"):
        bullets.append((_own("CPI: n/a ("), _s(why), _own(")")))
    for m in s.next_milestones[:TOP]:
        bullets.append(
            (
                _own("Milestone "),
                _s(m.name),
                _own(
                    f": forecast {t.day(m.forecast)} vs {t.day(m.baseline)} ({t.slip(m.slip_days)})"
                ),
            )
        )
    for r in s.behind[:TOP]:
        bullets.append((_own("Behind: "), _s(r.label), _own(f" ({t.slip(r.slip_days)})")))
    bullets += [(_own("Why: "), _s(reason)) for reason in s.rag.reasons[:TOP]]
    if s.unplanned.count:
        bullets.append((_own(f"Unplanned work: {s.unplanned.count} item(s)"),))
    return title, bullets + _warnings(s)


def _note(s: Status, figure: str) -> Line:
    """`` (⚠ points missing)`` beside a figure a data warning doubts."""
    note = s.notes(figure)
    return (_own(" (⚠ "), _s(note), _own(")")) if note else ()


def _warnings(s: Status) -> list[Line]:
    """The data warnings that change a figure, the first few in full."""
    doubts = [w for w in s.warnings if w.affects]
    lines: list[Line] = [(_own("⚠ Data warning: "), _s(w.message)) for w in doubts[:TOP]]
    if len(doubts) > TOP:
        lines.append((_own(f"⚠ {len(doubts) - TOP} more data warning(s) on the dashboard"),))
    return lines


def _link_line(dashboard_url: str) -> Line:
    return (Span("Open the dashboard", url=dashboard_url, trusted=True),) if dashboard_url else ()


def _md_span(span: Span) -> str:
    body = span.text if span.trusted else t.md(span.text)
    if url := t.link_url(span.url):
        return f"[{body}](<{url}>)"
    return f"**{body}**" if span.bold else body


def _wiki_span(span: Span) -> str:
    body = span.text if span.trusted else t.wiki(span.text)
    if url := t.link_url(span.url):
        return f"[{body}|{url}]"
    return f"*{body}*" if span.bold else body


def _html_span(span: Span) -> str:
    body = html.escape(span.text if span.trusted else t.one_line(span.text))
    if url := t.link_url(span.url):
        return f'<a href="{html.escape(url)}">{body}</a>'
    return f"<strong>{body}</strong>" if span.bold else body


def _render(
    title: Line, bullets: list[Line], link: Line, span: Callable[[Span], str], bullet: str
) -> str:
    lines = ["".join(map(span, title)), ""]
    lines += [bullet + "".join(map(span, b)) for b in bullets]
    if link:
        lines += ["", "".join(map(span, link))]
    return "\n".join(lines) + "\n"


def _adf_text(span: Span) -> dict[str, Any]:
    node: dict[str, Any] = {"type": "text", "text": _adf_words(span.text)}
    marks: list[dict[str, Any]] = []
    if span.bold:
        marks.append({"type": "strong"})
    if url := t.link_url(span.url):
        marks.append({"type": "link", "attrs": {"href": url}})
    if marks:
        node["marks"] = marks
    return node


def _adf_words(text: str) -> str:
    """Text on one line that keeps a space at either end: ADF text nodes sit side by side, so
    ``"Milestone "`` then ``"Go-live"`` must not read ``MilestoneGo-live``."""
    words = t.one_line(text)
    if not words:
        return " "
    return (" " if text[:1].isspace() else "") + words + (" " if text[-1:].isspace() else "")


def _adf_paragraph(line: Line) -> dict[str, Any]:
    return {"type": "paragraph", "content": [_adf_text(s) for s in line if s.text]}


def adf(title: Line, bullets: list[Line], link: Line) -> dict[str, Any]:
    """An Atlassian Document Format body (text nodes carry tracker text verbatim, never markup)."""
    content: list[dict[str, Any]] = [_adf_paragraph(title)]
    items = [{"type": "listItem", "content": [_adf_paragraph(b)]} for b in bullets]
    content.append({"type": "bulletList", "content": items})
    if link:
        content.append(_adf_paragraph(link))
    return {"type": "doc", "version": 1, "content": content}


def markdown(title: Line, bullets: list[Line], link: Line) -> str:
    """A Markdown body (tracker text backslash-escaped)."""
    return _render(title, bullets, link, _md_span, "- ")


def wiki(title: Line, bullets: list[Line], link: Line) -> str:
    """A Jira wiki markup body (tracker text escaped)."""
    return _render(title, bullets, link, _wiki_span, "* ")


def html_body(title: Line, bullets: list[Line], link: Line) -> str:
    """An HTML fragment: a paragraph, a list, the link; every text HTML-escaped."""
    parts = [f"<p>{''.join(map(_html_span, title))}</p>", "<ul>"]
    parts += [f"<li>{''.join(map(_html_span, b))}</li>" for b in bullets]
    parts.append("</ul>")
    if link:
        parts.append(f"<p>{''.join(map(_html_span, link))}</p>")
    return "\n".join(parts) + "\n"


Renderer = Callable[[Line, list[Line], Line], Any]
RENDERERS: dict[BodyFormat, Renderer] = {
    "markdown": markdown,
    "adf": adf,
    "wiki": wiki,
    "html": html_body,
}
ALWAYS: tuple[BodyFormat, ...] = ("markdown", "adf", "wiki")  # in every status (and its digest)


def machine(status: Status, dashboard_url: str) -> dict[str, Any]:
    """The machine-readable status (Jira issue property `syncd.status`)."""
    s, f, fc = status, status.figures, status.forecast
    nxt = s.next_milestones[0] if s.next_milestones else None
    return {
        "schema": MACHINE_SCHEMA,
        "client": s.client.id,
        "as_of": s.as_of.isoformat(),
        "baseline_version": s.baseline_version,
        "rag": s.rag.level.value,
        "reasons": list(s.rag.reasons),
        "headline": s.headline,
        "unit": f.unit,
        "bac": f.bac,
        "pv": f.pv,
        "ev": f.ev,
        "spi": f.spi,
        "spi_t": f.spi_t,
        "cpi": f.cpi,
        "percent_complete": f.percent_complete,
        "forecast": {
            "baseline": fc.baseline_finish.isoformat() if fc.baseline_finish else None,
            "earned_schedule": fc.es_finish.isoformat() if fc.es_finish else None,
            "cpm": fc.cpm_finish.isoformat() if fc.cpm_finish else None,
        },
        "next_milestone": None
        if nxt is None
        else {
            "key": nxt.key,
            "name": nxt.name,
            "baseline": nxt.baseline.isoformat(),
            "forecast": nxt.forecast.isoformat() if nxt.forecast else None,
            "slip_days": nxt.slip_days,
        },
        "behind": len(s.behind),
        "unplanned": s.unplanned.count,
        "warnings": [{"code": w.code, "affects": list(w.affects)} for w in s.warnings],
        "withheld": {"cpi": why} if (why := s.withheld("cpi")) else {},
        "dashboard": dashboard_url,
    }


def push_fields(status: Status) -> tuple[tuple[str, str], ...]:
    """Field values for custom fields: RAG, SPI, SPI(t) and the CPM forecast finish."""
    f = status.figures
    return (
        ("RAG", status.rag.level.value.capitalize()),
        ("SPI", t.index(f.spi)),
        ("SPI(t)", t.index(f.spi_t)),
        ("Forecast finish", t.day(status.forecast.cpm_finish or status.forecast.es_finish)),
    )


def project_category(status: Status) -> StatusCategory:
    """Where the project stands as a whole: done when every plan task is done, to do while no
    task has started or earned anything, else in progress."""
    rows = status.tasks
    if rows and all(r.done for r in rows):
        return StatusCategory.DONE
    if any(r.status != "todo" or r.percent_complete > 0 for r in rows) or status.figures.ev > 0:
        return StatusCategory.IN_PROGRESS
    return StatusCategory.TODO


def push_bodies(
    status: Status, *, dashboard_url: str, formats: Iterable[BodyFormat] = ()
) -> StatusPush:
    """The push bodies of a status (Markdown, ADF, wiki markup, and any other of `formats`, the
    ones the client's connectors take), with a digest over all of them."""
    title, bullets = summary_lines(status)
    link = _link_line(dashboard_url)
    wanted = dict.fromkeys((*ALWAYS, *formats))
    body: dict[str, Any] = {
        "client": status.client.id,
        "rag": status.rag.level.value,
        "headline": t.one_line(status.headline),
        **{fmt: RENDERERS[fmt](title, bullets, link) for fmt in wanted},
        "machine": machine(status, dashboard_url),
        "fields": push_fields(status),
        "dashboard_url": dashboard_url,
        "category": project_category(status),
    }
    blob = json.dumps(body, sort_keys=True, separators=(",", ":"), default=list)
    return StatusPush(**body, digest=hashlib.sha256(blob.encode()).hexdigest())
