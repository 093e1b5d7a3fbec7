"""The PDF of a report or review pack: WeasyPrint lays out `render.document`'s HTML, paginated
for A4 or Letter (`@page`), charts included as PNG. No browser and no network: the HTML carries
its images as data URIs, and WeasyPrint's fetcher is allowed the `data:` scheme alone."""

from __future__ import annotations

import logging

from syncd.errors import PermanentError

# WeasyPrint logs a line for every screen-only CSS rule of the report (media queries, overflow):
# noise in a daemon's log, not a problem of the PDF.
logging.getLogger("weasyprint").setLevel(logging.ERROR)


def pdf(html: str) -> bytes:
    """PDF bytes of a self-contained HTML document."""
    try:
        from weasyprint import HTML
        from weasyprint.urls import URLFetcher
    except (ImportError, OSError) as exc:  # OSError: Pango is missing from the system
        raise PermanentError(
            f"PDF needs WeasyPrint and the system's Pango library ({type(exc).__name__}: {exc})"
        ) from None
    fetcher = URLFetcher(allowed_protocols={"data"})
    data = HTML(string=html, url_fetcher=fetcher).write_pdf()
    assert data is not None
    return bytes(data)
