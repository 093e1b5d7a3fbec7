from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from tests.reports.sample import XSS
from tests.web.conftest import Site, dead_job, job_state


def test_overview_lists_clients_with_rag_and_milestone(site: Site) -> None:
    """The overview shows every client with its RAG, trend and next milestone."""
    with site.client(site.admin) as http:
        page = http.get("/").text
    assert 'data-client="acme"' in page and 'data-client="globex"' in page
    assert "Acme rollout" in page and "Globex migration" in page
    assert 'class="rag rag-red"' in page
    assert 'Go-live <span class="muted">2027-02-10</span>' in page


def test_client_page_has_every_section(site: Site) -> None:
    """The client page shows standing, charts, variance, unplanned, items and sync health."""
    with site.client(site.admin) as http:
        page = http.get("/clients/acme").text
    for anchor in ("standing", "gantt", "scurve", "variance-table", "unplanned", "items", "health"):
        assert f'id="{anchor}"' in page, anchor
    assert '<script src="/static/chart.umd.min.js">' in page
    assert 'href="https://acme.atlassian.net/browse/ACME-41"' in page
    assert 'href="https://trello.com/c/tr1"' in page


def test_tracker_markup_is_text_on_the_dashboard(site: Site) -> None:
    """An item title or error message holding <script> is escaped on the page."""
    with site.client(site.admin) as http:
        page = http.get("/clients/acme").text
    assert "<script>alert" not in page and "<b>bold" not in page
    assert "&lt;script&gt;alert(&#39;x&#39;)&lt;/script&gt;" in page
    assert "bad payload &lt;script&gt;" in page


def test_pages_forbid_foreign_scripts(site: Site) -> None:
    """Pages carry a Content-Security-Policy that allows only syncd's own scripts."""
    with site.client(site.admin) as http:
        response = http.get("/clients/acme")
    csp = response.headers["content-security-policy"]
    assert "script-src 'self'" in csp and "frame-ancestors 'none'" in csp
    assert response.headers["x-content-type-options"] == "nosniff"
    assert not re.search(
        r"<script(?![^>]*(src=\"/static/|type=\"application/json\"))", response.text
    )


def test_status_date_parameter_picks_a_snapshot(site: Site) -> None:
    """?as_of= shows the snapshot of that date (or the one before)."""
    with site.client(site.admin) as http:
        page = http.get("/clients/acme?as_of=2026-11-18").text
    assert "status on 2026-11-16" in page


def test_replay_form_replays_the_dead_letter(site: Site) -> None:
    """Posting the Replay form makes the job pending and returns to the client page."""
    job = dead_job(site.engine, "globex")
    with site.client(site.admin) as http:
        response = http.post(f"/clients/globex/dead-letters/{job}/replay")
        assert response.status_code == 303
        assert response.headers["location"] == f"/clients/globex?replayed={job}#needs-action"
        assert job_state(site.engine, job) == "pending"
        again = http.post(f"/clients/globex/dead-letters/{job}/replay")
        assert again.headers["location"] == f"/clients/globex?failed={job}#needs-action"


def test_a_targets_failed_pushes_are_one_row_with_one_replay(site: Site) -> None:
    """Two statuses that could not be written to one deleted issue read as one failing target,
    not two problems: one row saying how many failed, the latest error and when, the first
    failure, and one Replay; it queues the newest status alone and says the older was set
    aside. The overview counts the target once, with its two failed pushes."""
    start = datetime.now(UTC) - timedelta(hours=3)
    target = "globex-jira:GLX-404"
    older = dead_job(
        site.engine, "globex", "NotFoundError: GLX-404 (1)", kind="push", target=target, at=start
    )
    newest = dead_job(
        site.engine,
        "globex",
        "NotFoundError: GLX-404 (2)",
        kind="push",
        target=target,
        at=start + timedelta(hours=2),
    )
    with site.client(site.admin) as http:
        page = http.get("/clients/globex").text
        sync = http.get("/api/clients/globex").json()["sync"]
        rows = re.findall(
            rf'<tr class="problem-dead" data-job="(\d+)"[^>]*'
            rf'data-target="{target}"[^>]*>(.*?)</tr>',
            page,
            re.S,
        )
        assert [job for job, _ in rows] == [str(newest)]
        row = rows[0][1]
        assert "Push to GLX-404" in row and "2 status updates could not be written" in row
        assert "NotFoundError: GLX-404 (2)" in row and "GLX-404 (1)" not in row
        assert f"first failed {start:%Y-%m-%d %H:%M}" in row
        assert row.count("<button") == 1 and f"/dead-letters/{newest}/replay" in row
        assert {"target": target, "failed": 2} in sync["push_targets"]
        response = http.post(f"/clients/globex/dead-letters/{newest}/replay")
        location = f"/clients/globex?replayed={newest}&set_aside=1#needs-action"
        assert response.headers["location"] == location
        notice = http.get(location).text
    said = f"Push to GLX-404 replayed: its newest status (dead letter {newest}) is queued again."
    assert f"{said} 1 older failed push to it set aside, not sent." in notice
    assert f'data-target="{target}"' not in notice
    states = (job_state(site.engine, newest), job_state(site.engine, older))
    assert states == ("pending", "superseded")


def test_the_replay_notice_names_only_this_clients_targets(site: Site) -> None:
    """The notice reads the job a query names: another client's push is not named."""
    job = dead_job(site.engine, "acme", kind="push", target="acme-jira:SECRET-1")
    with site.client(site.admin) as http:
        page = http.get(f"/clients/globex?replayed={job}").text
    assert f"Dead letter {job} replayed" in page and "SECRET-1" not in page


def test_replay_refuses_cross_site_posts(site: Site) -> None:
    """A replay posted from another origin is refused and leaves the job dead."""
    job = dead_job(site.engine, "globex")
    with site.client(site.admin) as http:
        response = http.post(
            f"/clients/globex/dead-letters/{job}/replay", headers={"Origin": "https://evil.example"}
        )
    assert response.status_code == 403
    assert job_state(site.engine, job) == "dead"


def test_replay_refuses_cross_site_fetch_metadata(site: Site) -> None:
    """A browser's Sec-Fetch-Site: cross-site on a replay is refused."""
    job = dead_job(site.engine, "globex")
    with site.client(site.admin) as http:
        response = http.post(
            f"/clients/globex/dead-letters/{job}/replay", headers={"Sec-Fetch-Site": "cross-site"}
        )
    assert response.status_code == 403
    assert job_state(site.engine, job) == "dead"


def test_replay_of_another_clients_job_is_404(site: Site) -> None:
    """A job id of another client is not found under this client."""
    job = dead_job(site.engine, "acme")
    with site.client(site.admin) as http:
        response = http.post(f"/clients/globex/dead-letters/{job}/replay")
    assert response.status_code == 404
    assert job_state(site.engine, job) == "dead"


def test_unknown_client_is_404(site: Site) -> None:
    """A client that does not exist answers 404 to an unscoped token too."""
    with site.client(site.admin) as http:
        assert http.get("/clients/nobody").status_code == 404
        assert http.get("/no/such/page").status_code == 404


def test_xss_sample_is_in_the_store() -> None:
    """The seeded store holds a title with markup (guards the escaping tests above)."""
    assert "<script>" in XSS
