"""The communication page, the review pack and the signed feedback form, over real HTTP."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from syncd.clients import Client
from syncd.comms import delivery, feedback
from syncd.settings import Settings
from syncd.web.app import create_app
from syncd.web.auth import create_token
from tests.comms.conftest import ENV
from tests.web.conftest import free_port, serve

DAY = "2026-11-30"


@dataclass
class Dash:
    url: str
    engine: Engine
    token: str
    key: str  # a delivery the feedback link is for


@pytest.fixture
def dash(
    seeded: Engine, client: Client, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> Iterator[Dash]:
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    from datetime import date

    entry = delivery.entry_of(client, "weekly")
    delivery.request(seeded, client, entry, date.fromisoformat(DAY), reason="cadence")
    config_dir = client.path.parent.parent
    settings = Settings(config_dir=config_dir, data_dir=tmp_path, public_url="http://dash")
    app = create_app(engine=seeded, settings=settings, broker_check=lambda: True)
    port = free_port()
    server, thread = serve(app, port)
    yield Dash(f"http://127.0.0.1:{port}", seeded, create_token(seeded), f"acme:weekly:{DAY}")
    server.should_exit = True
    thread.join(timeout=5)


def test_communication_page_shows_plan_log_heat_map(dash: Dash) -> None:
    """The page lists each entry with its next time, the log with states, and the heat map."""
    with httpx.Client(base_url=dash.url, headers={"Authorization": f"Bearer {dash.token}"}) as http:
        page = http.get("/clients/acme/communication")
        client_page = http.get("/clients/acme").text
    assert page.status_code == 200
    text = page.text
    assert "weekly" in text and "cron 0 9 * * mon" in text and "on rag_change" in text
    assert 'data-state="queued"' in text
    assert 'id="heat"' in text and "carry no probability or impact" in text
    assert 'href="/clients/acme/communication"' in client_page


def test_review_pack_page_is_sandboxed(dash: Dash) -> None:
    """The review pack is served whole under a CSP that runs nothing and loads nothing."""
    with httpx.Client(base_url=dash.url, headers={"Authorization": f"Bearer {dash.token}"}) as http:
        pack = http.get("/clients/acme/review-pack")
        anonymous = httpx.get(f"{dash.url}/clients/acme/review-pack")
    assert pack.status_code == 200 and "Risk register" in pack.text
    assert "sandbox" in pack.headers["content-security-policy"]
    assert anonymous.status_code == 401


def test_feedback_link_takes_one_answer_and_the_trend_shows_it(dash: Dash) -> None:
    """A signed link shows the form, takes one answer (escaped on the page), refuses a second."""
    link = feedback.link(dash.engine, dash.url, dash.key)
    comment = "<script>alert(1)</script> clear report"
    with httpx.Client() as http:
        form = http.get(link)
        sent = http.post(link, data={"score": "4", "comment": comment})
        again = http.post(link, data={"score": "1", "comment": "changed my mind"})
    assert form.status_code == 200 and 'name="score"' in form.text
    assert form.headers["referrer-policy"] == "no-referrer"
    assert sent.status_code == 200 and "recorded" in sent.text
    assert again.status_code == 409
    assert [(a.score, a.comment) for a in feedback.answers(dash.engine, "acme")] == [(4, comment)]
    with httpx.Client(base_url=dash.url, headers={"Authorization": f"Bearer {dash.token}"}) as http:
        page = http.get("/clients/acme/communication").text
    assert 'data-field="feedback.mean">4.0<' in page
    assert "<script>alert(1)" not in page and "&lt;script&gt;alert(1)" in page


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (lambda t: t[:-2] + ("AA" if not t.endswith("AA") else "BB"), 404),  # forged signature
        (lambda t: "YWNtZTpvdGhlcjoyMDI2LTExLTMw." + t.split(".")[1], 404),  # another key
        (lambda t: "x" * 500, 404),
    ],
)
def test_a_forged_feedback_link_is_not_found(dash: Dash, change: object, expected: int) -> None:
    """Only links syncd signed open the form."""
    token = feedback.token(dash.engine, dash.key)
    forged = change(token)  # type: ignore[operator]
    assert httpx.get(f"{dash.url}/feedback/{forged}").status_code == expected


def test_feedback_refuses_bad_scores_big_bodies_and_other_sites(dash: Dash) -> None:
    """Score outside 1-5: 400; a body over 8 KB: 413; a cross-site post: 403; nothing stored."""
    link = feedback.link(dash.engine, dash.url, dash.key)
    with httpx.Client() as http:
        bad = http.post(link, data={"score": "9"})
        big = http.post(link, data={"score": "3", "comment": "x" * 9000})
        cross = http.post(link, data={"score": "3"}, headers={"Sec-Fetch-Site": "cross-site"})
    assert (bad.status_code, big.status_code, cross.status_code) == (400, 413, 403)
    assert "Choose a score from 1 to 5" in bad.text
    assert feedback.answers(dash.engine, "acme") == []
