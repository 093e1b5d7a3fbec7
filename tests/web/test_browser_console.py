"""The dashboard obeys its own Content-Security-Policy: no page logs a console error."""

from __future__ import annotations

import pytest
from playwright.sync_api import Browser, ConsoleMessage

from tests.web.conftest import Site

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.mark.parametrize("path", ["/", "/clients/acme", "/clients/globex"])
def test_pages_log_no_console_error(browser: Browser, site: Site, path: str) -> None:
    """The overview and client pages load without a console error (a CSP violation, such as an
    inline style attribute, logs one) and without a failed request."""
    context = browser.new_context()
    page = context.new_page()
    errors: list[str] = []

    def record(message: ConsoleMessage) -> None:
        if message.type == "error":
            errors.append(message.text)

    page.on("console", record)
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    try:
        page.goto(f"{site.url}{path}?token={site.admin}", wait_until="networkidle")
        assert page.url == f"{site.url}{path}"
    finally:
        context.close()
    assert errors == []
