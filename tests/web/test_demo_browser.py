"""The dashboard of a real `syncd demo` in headless Chromium: the Done-when of the dashboard."""

from __future__ import annotations

import re
import subprocess
import sys
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import httpx
import pytest
from playwright.sync_api import Browser, Page
from sqlalchemy.engine import Engine

from syncd import store
from syncd.demo import CLIENTS
from syncd.plan import DEMO_PLAN, load_plan
from syncd.store import jobs
from syncd.store.work import PullJob
from tests.conftest import DemoSite
from tests.daemon import harness as h
from tests.web.test_browser import COUNTS

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    tab = context.new_page()
    tab.set_default_timeout(15_000)
    yield tab
    context.close()


def test_overview_lists_the_demo_clients_worst_first_with_a_reason(
    page: Page, demo_site: DemoSite
) -> None:
    """The demo tells its story: Initech red, Globex amber, Acme green, in that order, each
    with its reason in words."""
    page.goto(f"{demo_site.url}/?token={demo_site.token}")
    rows = page.locator("#clients tbody tr")
    assert rows.count() == len(CLIENTS) == 3
    order = [rows.nth(n).get_attribute("data-client") for n in range(3)]
    colours = [rows.nth(n).get_attribute("data-rag") for n in range(3)]
    assert order == ["initech", "globex", "acme"] and colours == ["red", "amber", "green"]
    for n, colour in enumerate(colours):
        assert colour in rows.nth(n).locator(".rag").inner_text().lower()  # words, not colour
        assert rows.nth(n).locator('[data-field="reason"]').inner_text().strip()
    assert "Go-live" in rows.nth(0).locator('[data-field="reason"]').inner_text()
    assert "scope growth" in rows.nth(1).locator('[data-field="reason"]').inner_text()
    # the push fails moments after the first status: the open page shows it when it lands
    badge = page.locator('tr[data-client="initech"] .badge-dead')
    badge.wait_for(timeout=60_000)
    assert badge.count() == 1 and "Push to INI-99 failing" in badge.inner_text()
    assert badge.get_attribute("href") == "/clients/initech#needs-action"


def test_the_overview_filters_by_status_owner_and_tag(page: Page, demo_site: DemoSite) -> None:
    page.goto(f"{demo_site.url}/?token={demo_site.token}")

    def shown() -> list[str | None]:
        rows = page.locator("#clients tbody tr:not([hidden])")
        return [rows.nth(n).get_attribute("data-client") for n in range(rows.count())]

    page.select_option('#filters select[name="rag"]', "amber")
    assert shown() == ["globex"]
    page.select_option('#filters select[name="rag"]', "")
    page.select_option('#filters select[name="owner"]', "Sam")
    assert shown() == ["initech"]
    page.select_option('#filters select[name="owner"]', "")
    page.select_option('#filters select[name="tag"]', "emea")
    assert shown() == ["initech", "acme"]
    page.fill('#filters input[name="q"]', "acme")
    assert shown() == ["acme"]
    assert page.locator("[data-shown]").inner_text() == "1 shown"


def test_client_page_has_a_bar_per_task_and_a_point_per_snapshot(
    page: Page, demo_site: DemoSite
) -> None:
    """Gantt: baseline and forecast bars for each demo task and the milestone; S-curve: PV and
    EV points, one per stored snapshot."""
    plan = load_plan(DEMO_PLAN)
    tasks = [t for t in plan.leaves if not t.milestone]
    milestones = [t for t in plan.leaves if t.milestone]
    engine = demo_site.engine()
    snapshots = len(store.load_snapshots(engine, "acme"))
    engine.dispose()
    page.goto(f"{demo_site.url}/clients/acme?token={demo_site.token}")
    page.wait_for_function("window.syncdCharts && window.syncdCharts.scurve")
    counts = page.evaluate(COUNTS)
    summaries = [t for t in plan.tasks if t.summary]
    bars = len(tasks) + len(summaries)
    assert counts["gantt"] == [bars, len(tasks), len(summaries), len(milestones), len(milestones)]
    assert counts["scurve"][1] == snapshots >= 40  # two months of daily snapshots, first load
    assert counts["scurve"][0] > snapshots  # PV from the plan: every working day to BAC
    pv = page.evaluate("window.syncdCharts.scurve.data.datasets[0].data.map(p => p.y)")
    assert pv == sorted(pv) and pv[-1] == pytest.approx(plan.bac)


def test_the_red_clients_failed_push_is_in_view_and_replays(
    page: Page, demo_site: DemoSite
) -> None:
    """On a 1440 x 900 window the failed push of Initech's status is on screen without
    scrolling, as one failing target however many of its statuses died (a second reconcile
    makes a second one die), and one Replay queues the newest status again from there while
    the older is set aside, not sent."""
    engine = demo_site.engine()
    h.wait_for(lambda: _dead_pushes(engine) >= 1, 60, "the first push to INI-99 to fail")
    headers = {"Authorization": f"Bearer {demo_site.token}"}
    with httpx.Client(base_url=demo_site.url, headers=headers, timeout=30) as http:
        as_of = http.get("/api/clients/initech").json()["as_of"]
    tomorrow = (date.fromisoformat(as_of) + timedelta(days=1)).isoformat()
    subprocess.run(
        [sys.executable, "-m", "syncd", "reconcile", "initech", "--as-of", tomorrow],
        capture_output=True, text=True, env=demo_site.env(), check=True, timeout=120,
    )  # fmt: skip
    page.set_viewport_size({"width": 1440, "height": 900})
    page.goto(f"{demo_site.url}/clients/initech?token={demo_site.token}")
    rows = page.locator('#dead-letters tr[data-target$=":INI-99"]')

    def failed() -> int:  # the page updates itself when the second push has failed
        return int(rows.first.get_attribute("data-failed") or 0) if rows.count() else 0

    h.wait_for(lambda: failed() >= 2, 60, "the second failed push on the page")
    assert rows.count() == 1
    row = rows.first
    text = row.inner_text()
    assert "Push to INI-99" in text and "not found" in text and "Replay sends the newest" in text
    button = row.get_by_role("button", name="Replay")
    assert button.count() == 1
    box = button.bounding_box()
    assert box is not None and box["y"] + box["height"] <= 900
    assert page.evaluate("window.scrollY") == 0
    button.click()
    page.wait_for_url("**/clients/initech?replayed=*")
    job = int(page.url.split("replayed=")[1].split("&")[0])
    notice = page.locator(".notice").inner_text()
    assert f"Push to INI-99 replayed: its newest status (dead letter {job})" in notice
    assert re.search(r"\b[1-9]\d* older failed push(es)? to it set aside, not sent", notice)
    assert _state(engine, job) in ("pending", "leased", "dead")  # it fails again: INI-99 is gone
    engine.dispose()


@pytest.mark.parametrize("path", ["/", "/clients/initech", "/clients/globex", "/glossary"])
def test_nothing_overflows_sideways_on_a_phone(
    browser: Browser, demo_site: DemoSite, path: str
) -> None:
    """At 390 px wide no page scrolls sideways: wide tables become cards."""
    context = browser.new_context(viewport={"width": 390, "height": 844})
    tab = context.new_page()
    tab.goto(f"{demo_site.url}{path}?token={demo_site.token}")
    if path.startswith("/clients/"):
        tab.wait_for_function("window.syncdCharts && window.syncdCharts.scurve")
    widths = tab.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.clientWidth]"
    )
    context.close()
    assert widths[0] <= widths[1] == 390


AXE = Path(__file__).parent.parent / "fixtures" / "axe" / "axe.min.js"


@pytest.mark.parametrize("path", ["/", "/clients/initech", "/glossary"])
def test_axe_finds_no_serious_or_critical_violation(
    browser: Browser, demo_site: DemoSite, path: str
) -> None:
    """axe-core (vendored, see tests/fixtures/axe/SOURCES.md) on each page, WCAG 2 A and AA."""
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    tab = context.new_page()
    tab.goto(f"{demo_site.url}{path}?token={demo_site.token}")
    tab.add_script_tag(content=AXE.read_text(encoding="utf-8"))
    found = tab.evaluate(
        """async () => (await axe.run(document, {runOnly: ["wcag2a", "wcag2aa"]})).violations
             .filter(v => v.impact === "serious" || v.impact === "critical")
             .map(v => v.id + ": " + v.nodes.map(n => n.target.join(" ")).slice(0, 3).join(", "))"""
    )
    context.close()
    assert found == []


def test_a_scoped_token_cannot_see_another_client(page: Page, demo_site: DemoSite) -> None:
    """A token made for globex by `syncd token create --client globex` never shows acme."""
    done = subprocess.run(
        [sys.executable, "-m", "syncd", "token", "create", "--client", "globex"],
        capture_output=True, text=True, env=demo_site.env(), check=True, timeout=60,
    )  # fmt: skip
    token = done.stdout.strip().split()[-1]
    page.goto(f"{demo_site.url}/?token={token}")
    assert page.locator("#clients tbody tr").count() == 1
    response = page.goto(f"{demo_site.url}/clients/acme")
    assert response is not None and response.status == 404
    assert "Acme platform rollout" not in page.content()


def test_a_dead_letter_is_replayed_from_the_page(page: Page, demo_site: DemoSite) -> None:
    """A pull that failed for good shows under sync health; Replay runs it again, to done."""
    engine = demo_site.engine()
    with store.sessions(engine).begin() as session:
        job = jobs.enqueue(session, PullJob(), "acme", target="acme-jira")
        assert job is not None
        session.flush()
        job_id = job.id
    claimed = jobs.claim(engine, job_id, lease=timedelta(minutes=1), kind="pull")
    assert claimed is not None
    jobs.fail(engine, claimed, "AuthError: GET /myself: not authorized (401)", permanent=True)
    page.goto(f"{demo_site.url}/clients/acme?token={demo_site.token}")
    row = page.locator(f'tr[data-job="{job_id}"]')
    assert "not authorized" in row.inner_text()
    row.get_by_role("button", name="Replay").click()
    page.wait_for_url(f"**/clients/acme?replayed={job_id}*")
    h.wait_for(lambda: _state(engine, job_id) == "done", 60, "the replayed pull to finish")
    engine.dispose()


def test_a_new_snapshot_shows_without_reload(page: Page, demo_site: DemoSite) -> None:
    """The overview updates itself: a snapshot stored by `syncd reconcile` appears on the open
    page (the same document: nothing reloaded it), and it says when it last checked."""
    page.goto(f"{demo_site.url}/?token={demo_site.token}")
    page.wait_for_function("document.querySelector('[data-live]').hasAttribute('data-version')")
    page.evaluate("window.stillHere = true")
    row = page.locator('tr[data-client="globex"]')
    tomorrow = (date.fromisoformat(_as_of(row.inner_text())) + timedelta(days=1)).isoformat()
    subprocess.run(
        [sys.executable, "-m", "syncd", "reconcile", "globex", "--as-of", tomorrow],
        capture_output=True, text=True, env=demo_site.env(), check=True, timeout=120,
    )  # fmt: skip
    page.wait_for_function(
        "day => document.querySelector('tr[data-client=\"globex\"]').innerText.includes(day)",
        arg=f"status {tomorrow}",
    )
    assert page.evaluate("window.stillHere") is True
    assert "ago" in page.locator("[data-updated]").inner_text()


def _as_of(text: str) -> str:
    found = re.search(r"status (\d{4}-\d{2}-\d{2})", text)
    assert found is not None, text
    return found.group(1)


def _dead_pushes(engine: Engine) -> int:
    return sum(f.failed for f in jobs.failures(engine, "initech") if f.kind == "push")


def _state(engine: object, job_id: int) -> str:
    from syncd.db import Job

    with store.sessions(engine)() as session:  # type: ignore[arg-type]
        row = session.get(Job, job_id)
        return row.state if row is not None else ""
