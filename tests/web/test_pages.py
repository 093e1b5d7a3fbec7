from __future__ import annotations

import re

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
