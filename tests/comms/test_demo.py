"""`syncd demo` shows the communication plan at work: the log, the caught mails, the chat
messages, a review pack, and a feedback form that takes an answer."""

from __future__ import annotations

import html
import re
import subprocess
import sys

import httpx
import pytest

from tests.conftest import DemoSite
from tests.daemon import harness as h

pytestmark = pytest.mark.slow


def test_the_demo_sends_its_first_round_and_shows_it(demo_site: DemoSite) -> None:
    """Mail (full report, review pack) and both chat messages arrive; every page shows them;
    the feedback link of a caught mail takes one answer that the trend then shows."""
    headers = {"Authorization": f"Bearer {demo_site.token}"}
    with httpx.Client(base_url=demo_site.url, headers=headers, timeout=30) as http:

        def sent_all() -> bool:
            page = http.get("/clients/acme/communication").text
            return page.count('data-state="sent"') >= 4

        h.wait_for(sent_all, 120, "the demo's first round of deliveries")
        mail = http.get("/demo/mail").text
        chat = html.unescape(http.get("/demo/chat").text)
        pack = http.get("/clients/acme/review-pack")
        first_html = http.get("/demo/mail/0")
    assert "review pack on" in mail and "-report.pdf" in mail and "-next-review.ics" in mail
    assert '"type": "AdaptiveCard"' in chat and '"type": "header"' in chat
    assert pack.status_code == 200 and "Risk register" in pack.text
    assert "data:image/png;base64," in first_html.text  # the inline charts, shown
    link = re.search(r"http://127\.0\.0\.1:\d+/feedback/[A-Za-z0-9_.-]+", mail)
    assert link is not None
    with httpx.Client(timeout=30) as anonymous:
        assert 'name="score"' in anonymous.get(link.group(0)).text
        answered = anonymous.post(link.group(0), data={"score": "5", "comment": "useful"})
    assert answered.status_code == 200
    with httpx.Client(base_url=demo_site.url, headers=headers, timeout=30) as http:
        assert 'data-field="feedback.mean">5.0<' in http.get("/clients/acme/communication").text


def test_comms_commands_work_beside_the_demo(demo_site: DemoSite) -> None:
    """`syncd comms list acme` reads the demo's plan with the demo's environment."""
    done = subprocess.run(
        [sys.executable, "-m", "syncd", "comms", "list", "acme"],
        capture_output=True, text=True, env=demo_site.env(), check=False, timeout=120,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    assert "weekly\temail\tfull\tcron 0 9 * * mon" in done.stdout
