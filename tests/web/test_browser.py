"""The dashboard and the HTML report in headless Chromium."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from playwright.sync_api import Browser, Dialog, Page, Route

from syncd.reports import render_html
from tests.reports.conftest import status_of
from tests.reports.sample import acme
from tests.web.conftest import Site, dead_job, job_state

pytestmark = [pytest.mark.browser, pytest.mark.slow]

COUNTS = """() => Object.fromEntries(Object.entries(window.syncdCharts || {}).map(
  ([name, chart]) => [name, chart.data.datasets.map(
    d => d.data.filter(v => v !== null && !(v.y === null && !Array.isArray(v))).length)]))"""


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(10_000)
    yield tab
    context.close()


def watch_dialogs(page: Page, seen: list[str]) -> None:
    """Record (and dismiss) any alert: a script from a tracker would open one."""

    def record(dialog: Dialog) -> None:
        seen.append(dialog.message)
        dialog.dismiss()

    page.on("dialog", record)


def sign_in(page: Page, site: Site, token: str, path: str = "/") -> None:
    page.goto(f"{site.url}{path}?token={token}")


def test_overview_lists_the_clients(page: Page, site: Site) -> None:
    """The overview shows one row per client with its RAG."""
    sign_in(page, site, site.admin)
    rows = page.locator("#clients tbody tr")
    assert rows.count() == 2
    assert page.locator('tr[data-client="acme"] .rag').inner_text().lower() == "● red"
    assert page.url == f"{site.url}/"


def test_client_page_draws_gantt_and_s_curve(page: Page, site: Site) -> None:
    """Gantt: a baseline and a forecast bar per task and one milestone; S-curve: one point per
    snapshot for PV and EV."""
    sample = site.samples["acme"]
    sign_in(page, site, site.admin, "/clients/acme")
    page.wait_for_function("window.syncdCharts && window.syncdCharts.scurve")
    counts = page.evaluate(COUNTS)
    tasks = [t for t in sample.leaves if not t.milestone]
    milestones = [t for t in sample.leaves if t.milestone]
    assert counts["gantt"][:2] == [len(tasks) + counts["gantt"][2], len(tasks)]  # + summaries
    assert counts["gantt"][3:] == [len(milestones), len(milestones)]
    assert counts["scurve"][1] == len(sample.dates)  # EV: a point per snapshot
    assert counts["scurve"][0] >= len(sample.dates)  # PV: per snapshot, or the plan's every day
    if os.environ.get("SYNCD_SCREENSHOT"):
        page.screenshot(path=os.environ["SYNCD_SCREENSHOT"], full_page=True)


def test_variance_table_sorts(page: Page, site: Site) -> None:
    """Clicking the Slip header sorts the variance table by slip."""
    sign_in(page, site, site.admin, "/clients/acme")
    page.locator("#variance-table th", has_text="Slip").click()
    cells = page.locator("#variance-table tbody td:nth-child(4)").evaluate_all(
        "cells => cells.map(c => parseFloat(c.dataset.sort))"
    )
    assert cells == sorted(cells)


def test_scoped_token_cannot_see_another_client(page: Page, site: Site) -> None:
    """A token for globex lists globex only and gets Not found for acme."""
    sign_in(page, site, site.scoped)
    assert page.locator("#clients tbody tr").count() == 1
    response = page.goto(f"{site.url}/clients/acme")
    assert response is not None and response.status == 404
    assert "Acme" not in page.content()


def test_dead_letter_replays_from_the_page(page: Page, site: Site) -> None:
    """The Replay button makes the dead letter pending and the page says so."""
    job = dead_job(site.engine, "globex", error="<img src=x onerror=alert(1)>")
    dialogs: list[str] = []
    watch_dialogs(page, dialogs)
    sign_in(page, site, site.admin, "/clients/globex")
    row = page.locator(f'tr[data-job="{job}"]')
    assert "<img src=x onerror=alert(1)>" in row.inner_text()
    row.get_by_role("button", name="Replay").click()
    page.wait_for_url(f"**/clients/globex?replayed={job}*")
    assert "replayed" in page.locator(".notice").inner_text()
    assert job_state(site.engine, job) == "pending"
    assert page.locator(f'tr[data-job="{job}"]').count() == 0
    assert dialogs == []


def test_tracker_script_shows_as_text(page: Page, site: Site) -> None:
    """A title holding <script> is shown as text and never runs."""
    dialogs: list[str] = []
    watch_dialogs(page, dialogs)
    sign_in(page, site, site.admin, "/clients/acme")
    assert page.get_by_text("Hotfix <script>alert('x')</script>").first.is_visible()
    assert dialogs == []


def test_phone_width_needs_no_sideways_scroll(browser: Browser, site: Site) -> None:
    """At 390 px the client page fits the screen; wide tables scroll inside their box."""
    context = browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True)
    page = context.new_page()
    sign_in(page, site, site.admin, "/clients/acme")
    page.wait_for_function("window.syncdCharts && window.syncdCharts.gantt")
    width = page.evaluate("document.documentElement.scrollWidth")
    context.close()
    assert width <= 390


def test_html_report_works_offline(page: Page, tmp_path: Path) -> None:
    """The HTML report draws its charts with every network request blocked."""
    sample = acme()
    status = status_of(sample)
    path = tmp_path / "report.html"
    path.write_text(render_html(status), encoding="utf-8")
    asked: list[str] = []

    def block(route: Route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            asked.append(route.request.url)
            route.abort()

    page.route("**/*", block)
    page.goto(path.as_uri())
    page.wait_for_function("window.syncdCharts && window.syncdCharts.scurve")
    counts = page.evaluate(COUNTS)
    assert counts["scurve"] == [len(status.curve), len(status.curve)]  # no plan: PV per snapshot
    assert asked == []
    shown = page.locator('[data-field="figures.spi"]').inner_text()
    assert shown == f"{status.figures.spi:.2f}"
