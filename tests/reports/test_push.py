from __future__ import annotations

import json
from dataclasses import replace
from typing import Any

from syncd.model import StatusPush
from syncd.plan.rag import RagStatus
from syncd.reports import push_bodies
from syncd.reports.model import Status
from syncd.reports.text import md, wiki
from tests.reports.sample import XSS

URL = "https://syncd.example/clients/acme"


def texts(node: Any) -> list[str]:
    """Every text node of an ADF document."""
    if isinstance(node, dict):
        own = [node["text"]] if node.get("type") == "text" else []
        return own + [t for child in node.get("content", []) for t in texts(child)]
    return []


def with_reason(status: Status, reason: str) -> Status:
    return replace(status, rag=RagStatus(status.rag.level, (reason,)))


def test_bodies_are_short_and_link_the_dashboard(acme_status: Status) -> None:
    """Each body fits on a screen and links to the client's dashboard."""
    push = push_bodies(acme_status, dashboard_url=URL)
    assert isinstance(push, StatusPush)
    assert len(push.markdown) < 1500 and push.markdown.count("\n") < 20
    assert f"(<{URL}>)" in push.markdown
    assert f"|{URL}]" in push.wiki
    assert push.rag == "red" and push.headline == acme_status.headline


def test_adf_is_a_valid_document(acme_status: Status) -> None:
    """The Jira Cloud body is an ADF doc whose text nodes are never empty and whose link is set."""
    doc = push_bodies(acme_status, dashboard_url=URL).adf
    assert doc["type"] == "doc" and doc["version"] == 1
    assert all(t.strip() for t in texts(doc))
    links = json.dumps(doc).count('"type": "link"')
    assert links == 1


def test_digest_is_stable_and_follows_content(acme_status: Status) -> None:
    """The same status gives the same digest; any change in content changes it."""
    first = push_bodies(acme_status, dashboard_url=URL)
    assert push_bodies(acme_status, dashboard_url=URL).digest == first.digest
    moved = push_bodies(with_reason(acme_status, "SPI fell"), dashboard_url=URL)
    assert moved.digest != first.digest
    assert push_bodies(acme_status, dashboard_url=URL + "/x").digest != first.digest


def test_machine_status_is_json(acme_status: Status) -> None:
    """The issue-property body is plain JSON with the RAG, indices and forecasts."""
    machine = push_bodies(acme_status, dashboard_url=URL).machine
    assert json.loads(json.dumps(machine)) == machine
    assert machine["rag"] == "red" and machine["spi"] == acme_status.figures.spi
    assert machine["next_milestone"]["key"] == "3"
    assert machine["forecast"]["cpm"] == acme_status.forecast.cpm_finish.isoformat()  # type: ignore[union-attr]


def test_fields_hold_rag_and_spi(acme_status: Status) -> None:
    """Custom-field values are RAG, SPI, SPI(t) and the forecast finish, as text."""
    fields = dict(push_bodies(acme_status, dashboard_url=URL).fields)
    assert fields["RAG"] == "Red" and fields["SPI"] == f"{acme_status.figures.spi:.2f}"


def test_tracker_markup_is_inert_in_push_bodies(acme_status: Status) -> None:
    """A reason holding markup is escaped in Markdown and wiki, and verbatim text in ADF."""
    push = push_bodies(with_reason(acme_status, XSS + " {html} [x|http://evil]"), dashboard_url=URL)
    assert md(XSS) in push.markdown and "<script>" not in push.markdown
    assert "\\{html\\}" in push.wiki and "\\[x\\|http://evil\\]" in push.wiki
    assert wiki(XSS) in push.wiki
    assert any(XSS in t for t in texts(push.adf))


def test_html_comes_only_when_a_connector_takes_it_and_the_digest_covers_it(
    acme_status: Status,
) -> None:
    """Without a connector taking HTML the status has none and its digest is the one it always
    was; asked for, the HTML body is there, the other bodies are the same, the digest differs."""
    plain = push_bodies(acme_status, dashboard_url=URL)
    asked = push_bodies(acme_status, dashboard_url=URL, formats=["html", "markdown"])
    assert plain.html == "" and asked.html.startswith("<p><strong>Project status: Red</strong>")
    assert (asked.markdown, asked.adf, asked.wiki) == (plain.markdown, plain.adf, plain.wiki)
    assert asked.digest != plain.digest
    assert asked.body("html") == asked.html and asked.body("adf") == asked.adf
    assert f'<a href="{URL}">Open the dashboard</a>' in asked.html


def test_tracker_markup_is_inert_in_the_html_body(acme_status: Status) -> None:
    """A reason holding HTML is escaped in the HTML body: no tag of it survives."""
    push = push_bodies(with_reason(acme_status, XSS), dashboard_url=URL, formats=["html"])
    assert "&lt;script&gt;alert(&#x27;x&#x27;)&lt;/script&gt; &amp; &lt;b&gt;" in push.html
    assert "<script>" not in push.html and "<b>" not in push.html


def test_a_hostile_dashboard_url_stays_one_html_attribute(acme_status: Status) -> None:
    """Quotes and angle brackets in the dashboard URL are encoded: the link cannot grow an
    attribute or a tag, and a non-http URL is no link at all."""
    push = push_bodies(acme_status, dashboard_url='https://d.example/"><x y="', formats=["html"])
    assert '<a href="https://d.example/%22%3E%3Cx%20y=%22">' in push.html
    other = push_bodies(acme_status, dashboard_url="javascript:alert(1)", formats=["html"])
    assert "<a " not in other.html and "javascript" not in other.html
