"""The dashboard of a real `syncd demo` in headless Chromium: the Done-when of the dashboard."""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Iterator
from datetime import timedelta

import pytest
from playwright.sync_api import Browser, Page

from syncd import jobs, store
from syncd.demo import CLIENTS
from syncd.plan import DEMO_PLAN, load_plan
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


def test_overview_lists_the_demo_clients(page: Page, demo_site: DemoSite) -> None:
    """Every demo client is on the overview, each with a RAG."""
    page.goto(f"{demo_site.url}/?token={demo_site.token}")
    rows = page.locator("#clients tbody tr")
    assert rows.count() == len(CLIENTS) == 3
    for client in CLIENTS:
        rag = page.locator(f'tr[data-client="{client}"] .rag').inner_text().lower()
        assert rag in ("red", "amber", "green")


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
    assert counts["gantt"] == [len(tasks), len(tasks), len(milestones), len(milestones)]
    assert counts["scurve"] == [snapshots, snapshots]


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
        job = jobs.enqueue(session, "pull", "acme", target="acme-jira")
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


def _state(engine: object, job_id: int) -> str:
    from syncd.db import Job

    with store.sessions(engine)() as session:  # type: ignore[arg-type]
        row = session.get(Job, job_id)
        return row.state if row is not None else ""
