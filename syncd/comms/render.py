"""A status rendered for people: the e-mail (plain text and inlined HTML, charts as images),
the printable document and review pack (HTML for the PDF), and what each form attaches.

Pure: a `Status` and options in, text and bytes out (the PDF is `syncd.comms.pdf`'s).
"""

from __future__ import annotations

import base64
from dataclasses import dataclass
from functools import cache
from typing import Literal

from jinja2 import ChoiceLoader, Environment, PackageLoader, select_autoescape

from syncd.comms import charts
from syncd.reports import text
from syncd.reports.charts import asset
from syncd.reports.html import configure, loader
from syncd.reports.model import Status
from syncd.reports.registers import heat

Paper = Literal["A4", "Letter"]


@dataclass(frozen=True)
class Attachment:
    filename: str
    mime: str  # "text/html", "application/pdf", "text/calendar"
    data: bytes


@cache
def environment() -> Environment:
    env = Environment(
        loader=ChoiceLoader([PackageLoader("syncd.comms", "templates"), loader()]),
        autoescape=select_autoescape(default=True),
    )
    return configure(env)


def chart_images(status: Status) -> dict[str, bytes]:
    """The PNG charts every e-mail and PDF carries, by name."""
    return {"s_curve": charts.s_curve(status.curve), "slips": charts.slips(status.milestones)}


def data_uri(png: bytes) -> str:
    return "data:image/png;base64," + base64.b64encode(png).decode("ascii")


def subject(status: Status, *, form: str, given: str | None = None) -> str:
    """``[AMBER] Acme platform rollout: status on 2026-03-10`` (one line, no control chars)."""
    if given:
        return text.one_line(given)[:200]
    what = "review pack" if form == "review-pack" else "status"
    line = f"[{status.rag.level.value.upper()}] {status.client.name}: {what} on {status.as_of}"
    return text.one_line(line)[:200]


def email_html(
    status: Status, *, subject_line: str, feedback_url: str = "", attached: tuple[str, ...] = ()
) -> str:
    """The HTML part with its CSS inlined; images are ``cid:s_curve`` and ``cid:slips``."""
    import css_inline

    html = (
        environment()
        .get_template("email.html")
        .render(
            s=status,
            subject=subject_line,
            images={name: f"cid:{name}" for name in ("s_curve", "slips")},
            feedback_url=feedback_url,
            attached=attached,
        )
    )
    return str(css_inline.inline(html))


def email_text(status: Status, *, feedback_url: str = "", attached: tuple[str, ...] = ()) -> str:
    """The plain-text part: headline, reasons, figures, next milestones, open risks, links."""
    f = status.figures
    lines = [
        f"{status.client.name}: status on {status.as_of}",
        "",
        f"{status.rag.level.value.upper()}: {status.headline}",
        *(f"  - {r}" for r in status.rag.reasons),
        "",
        f"SPI {text.index(f.spi)} · complete {text.percent(f.percent_complete)}"
        f" · planned by now {text.percent(f.percent_planned)}",
    ]
    if status.warnings:
        notes = "; ".join(dict.fromkeys(w.note for w in status.warnings))
        lines.append(f"Some figures rest on incomplete data: {notes}.")
    lines += ["", "Next milestones:"]
    lines += [
        f"  {m.name}: baseline {m.baseline}, forecast {text.day(m.forecast)}"
        f" ({text.slip(m.slip_days)})"
        for m in status.next_milestones[:6]
    ] or ["  none open"]
    lines += ["", "Risks and open issues:"]
    lines += [
        f"  {r.kind}: {r.item.key} {text.one_line(r.item.title)} — {r.owner or 'unassigned'}"
        f", due {text.day(r.item.due)}{' (OVERDUE)' if r.overdue else ''}"
        for r in status.risks[:8]
    ] or ["  none"]
    if attached:
        lines += ["", "Attached: " + ", ".join(attached)]
    if status.client.dashboard_url:
        lines += ["", f"Dashboard: {status.client.dashboard_url}"]
    if feedback_url:
        lines += [f"How useful was this report? {feedback_url}"]
    return "\n".join(lines) + "\n"


def document(
    status: Status,
    *,
    review: bool = False,
    paper: Paper = "A4",
    next_review: str = "",
    images: dict[str, bytes] | None = None,
) -> str:
    """The printable report (or review pack): one self-contained HTML file, images inline."""
    pngs = images if images is not None else chart_images(status)
    return (
        environment()
        .get_template("pack.html")
        .render(
            s=status,
            review=review,
            paper=paper,
            css=asset("syncd.css"),
            images={name: data_uri(png) for name, png in pngs.items()},
            heat=heat(status.register),
            project_done=bool(status.tasks) and all(t.done for t in status.tasks),
            next_review=next_review,
        )
    )
