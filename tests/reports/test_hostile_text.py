"""Tracker text and links that try to escape: link targets, control characters, formulas."""

from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from syncd.reports import push_bodies, render_csv, render_markdown
from syncd.reports.csvout import cell
from syncd.reports.model import ItemRef, Status

CONTROLS = "\x1b[2J\x1b]0;owned\x07\x9b31m\r\x08\x00"
BAD_CHAR = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f]")
ESCAPING = "https://jira.example/browse/A-1> ) [x](javascript:alert(1)) <b>"


def hostile(status: Status, url: str) -> Status:
    """The status with one unplanned item whose key, title and URL are hostile, and a hostile
    headline, RAG reason and milestone name."""
    ref = ItemRef(
        source="acme-jira",
        key=f"A-1{CONTROLS}",
        title=f"Title {CONTROLS} :x: end",
        url=url,
        type="Task",
        status="Open",
        category="todo",
    )
    unplanned = replace(status.unplanned, items=(ref,), count=1)
    rag = replace(status.rag, reasons=(f"reason {CONTROLS}",))
    stones = tuple(replace(m, name=f"{m.name} {CONTROLS}") for m in status.milestones)
    return replace(
        status, unplanned=unplanned, rag=rag, milestones=stones, headline=f"Head {CONTROLS}"
    )


def test_markdown_link_target_cannot_be_escaped(acme_status: Status) -> None:
    """A URL holding `>`, spaces, parentheses and brackets stays one link target, encoded."""
    text = render_markdown(hostile(acme_status, ESCAPING))
    targets = re.findall(r"\]\(<([^>]*)>\)", text)
    assert (
        "https://jira.example/browse/A-1%3E%20%29%20%5Bx%5D%28javascript:alert%281%29%29%20%3Cb%3E"
        in targets
    )
    assert all(t.startswith("https://") and " " not in t for t in targets)
    assert "(javascript:alert(1))" not in text


@pytest.mark.parametrize("url", ["javascript:alert(1)", "data:text/html,<b>x</b>", "ftp://x"])
def test_links_other_than_http_are_plain_text(acme_status: Status, url: str) -> None:
    """Only http and https become links in Markdown, wiki markup and ADF."""
    status = hostile(acme_status, url)
    assert url not in render_markdown(status)
    bodies = push_bodies(status, dashboard_url=url)
    assert "](<" not in bodies.markdown and f"|{url}]" not in bodies.wiki
    assert '"link"' not in json.dumps(bodies.adf)


def test_dashboard_link_in_push_bodies_is_encoded(acme_status: Status) -> None:
    """The dashboard URL in push bodies is encoded like an item URL in every markup."""
    bodies = push_bodies(acme_status, dashboard_url="https://dash.example/c/a b)|]x")
    assert "(<https://dash.example/c/a%20b%29%7C%5Dx>)" in bodies.markdown
    assert "|https://dash.example/c/a%20b%29%7C%5Dx]" in bodies.wiki


def test_no_control_character_reaches_markdown_or_push_bodies(acme_status: Status) -> None:
    """ESC, BEL, CR, NUL and C1 controls from tracker text are replaced in the Markdown report
    and every push body; newlines are only the renderings' own."""
    status = hostile(acme_status, "https://jira.example/browse/A-1")
    bodies = push_bodies(status, dashboard_url="https://dash.example/c/acme")
    adf = json.dumps(bodies.adf, ensure_ascii=False)
    for text in (render_markdown(status), bodies.markdown, bodies.wiki, adf):
        assert "owned" in text
        assert not BAD_CHAR.search(text)
        assert "\\u00" not in text  # nor as a JSON escape


def test_link_url_keeps_an_ordinary_url() -> None:
    """An ordinary Jira or Trello URL, with query and fragment, is unchanged."""
    from syncd.reports.text import link_url

    for url in ("https://acme.atlassian.net/browse/ACME-12?focus=1#c", "https://trello.com/c/Ab1"):
        assert link_url(url) == url


@pytest.mark.parametrize("sign", ["＝", "＋", "－", "＠", "﹦"])
def test_full_width_formula_signs_are_defused(acme_status: Status, sign: str) -> None:
    """A cell starting with a full-width (or small) formula sign gets the apostrophe too."""
    assert cell(f'{sign}HYPERLINK("http://x")') == f'\'{sign}HYPERLINK("http://x")'
    tasks = (replace(acme_status.tasks[0], name=f"{sign}1+1"),)
    assert f"'{sign}1+1" in render_csv(replace(acme_status, tasks=tasks))
