from __future__ import annotations

import csv
import io
import json
import re
from html.parser import HTMLParser
from typing import Any

import jsonschema  # type: ignore[import-untyped]  # no stubs in the venv
from hypothesis import given
from hypothesis import strategies as st

from syncd.reports import render_csv, render_html, render_json, render_markdown, status_to_dict
from syncd.reports.csvout import COLUMNS, cell
from syncd.reports.model import Status
from syncd.reports.schema import report_schema, schema_text
from syncd.reports.text import md
from tests.conftest import REPO
from tests.reports.sample import XSS


class Fields(HTMLParser):
    """Collects data-field/data-value pairs and every script tag of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.values: dict[str, str] = {}
        self.scripts: list[dict[str, str | None]] = []
        self.links: list[dict[str, str | None]] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = dict(attrs)
        if tag == "script":
            self.scripts.append(a)
        if tag == "link":
            self.links.append(a)
        if a.get("data-field") and "data-value" in a:
            self.values[a["data-field"] or ""] = a["data-value"] or ""


def lookup(data: Any, path: str) -> Any:
    for part in path.split("."):
        data = data[int(part)] if part.isdigit() else data[part]
    return data


def test_json_matches_its_schema(acme_status: Status) -> None:
    """The JSON report validates against the documented schema."""
    jsonschema.Draft202012Validator(report_schema()).validate(json.loads(render_json(acme_status)))


def test_schema_document_is_current() -> None:
    """docs/report-schema.json is the schema the code describes."""
    assert (REPO / "docs" / "report-schema.json").read_text(encoding="utf-8") == schema_text()


def test_html_shows_the_json_figures(acme_status: Status) -> None:
    """Every figure the HTML report shows equals the same figure in the JSON report."""
    data = json.loads(render_json(acme_status))
    page = Fields()
    page.feed(render_html(acme_status))
    assert len(page.values) > 40
    for path, shown in page.values.items():
        expected = lookup(data, path)
        if isinstance(expected, float):
            assert float(shown) == expected, path
        else:
            assert shown == ("" if expected is None else str(expected)), path


def test_html_needs_no_network(acme_status: Status) -> None:
    """The HTML report loads no script, style or image from anywhere: all is inline."""
    html = render_html(acme_status)
    page = Fields()
    page.feed(html)
    assert page.scripts and all("src" not in s for s in page.scripts)
    assert page.links == []
    assert "default-src 'none'" in html
    assert "Chart.js v4" in html
    assert not re.search(r"""(src|href)=["']?(https?:)?//(?!acme\.atlassian|trello\.com)""", html)


def test_tracker_markup_is_text_in_html(acme_status: Status) -> None:
    """A title holding <script> is escaped in the page and in its embedded JSON."""
    html = render_html(acme_status)
    assert "<script>alert" not in html and "<b>bold" not in html
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in html
    assert "\\u003cscript\\u003e" in html


def test_tracker_markup_is_text_in_markdown(acme_status: Status) -> None:
    """A title holding <script> is backslash-escaped in the Markdown report."""
    text = render_markdown(acme_status)
    assert "<script>" not in text
    assert md(XSS) in text


def test_markdown_reads_as_a_progress_report(acme_status: Status) -> None:
    """The Markdown report has the sections a client expects, in order."""
    text = render_markdown(acme_status)
    heads = re.findall(r"^## (.+)$", text, flags=re.M)
    assert heads == [
        "Where the project stands",
        "Completed since 2026-11-23",
        "Behind plan",
        "Next milestones",
        "Schedule",
        "Risks and open issues",
        "Unplanned work",
        "Progress by source and data freshness",
    ]


def test_csv_has_one_row_per_task(acme_status: Status) -> None:
    """The CSV holds the header and one row per leaf task, figures as numbers."""
    rows = list(csv.reader(io.StringIO(render_csv(acme_status))))
    assert tuple(rows[0]) == COLUMNS
    assert [r[1] for r in rows[1:]] == [t.key for t in acme_status.tasks]
    assert float(rows[1][COLUMNS.index("pv")]) == round(acme_status.tasks[0].pv, 6)


@given(st.text())
def test_csv_cell_never_starts_a_formula(text: str) -> None:
    """No text cell can be read as a spreadsheet formula."""
    value = cell(text)
    assert not str(value).startswith(("=", "+", "-", "@", "\t", "\r"))


@given(st.text())
def test_markdown_escape_leaves_no_markup(text: str) -> None:
    """After escaping, every markup character is preceded by a backslash."""
    escaped = md(text)
    assert "\n" not in escaped
    assert not re.search(r"(?<!\\)(\\\\)*[<>\[\]`*_|]", escaped.replace("\\\\", ""))


def test_status_dict_is_json(acme_status: Status) -> None:
    """status_to_dict round-trips through json unchanged."""
    data = status_to_dict(acme_status)
    assert json.loads(json.dumps(data)) == data
