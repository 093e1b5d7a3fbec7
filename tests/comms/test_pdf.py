"""The PDF renderer reads nothing but the document it is given."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

from syncd.comms.pdf import pdf


@pytest.fixture
def server() -> Iterator[tuple[str, list[str]]]:
    """A loopback HTTP server that records every path asked of it."""
    asked: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            asked.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "text/css")
            self.end_headers()
            self.wfile.write(b"body { color: red }")

        def log_message(self, *args: object) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{httpd.server_address[1]}", asked
    httpd.shutdown()
    httpd.server_close()


def test_urls_in_tracker_text_are_never_fetched(server: tuple[str, list[str]]) -> None:
    """An image, a stylesheet or a font named by URL (http or file) in the HTML is not read:
    tracker text in a report cannot make the renderer reach the network or the disk."""
    base, asked = server
    html = f"""<!doctype html><html><head>
    <link rel="stylesheet" href="{base}/sheet.css">
    <style>@font-face {{ font-family: x; src: url({base}/font.woff) }}</style>
    </head><body><p>Go-live</p>
    <img src="{base}/pixel.png"><img src="file:///etc/passwd">
    </body></html>"""
    data = pdf(html)
    assert data.startswith(b"%PDF")
    assert asked == []
    assert b"root:" not in data


def test_data_urls_are_rendered() -> None:
    """Charts travel inside the document as data: URLs, and those are drawn."""
    pixel = (
        "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQ"
        "AAAABJRU5ErkJggg=="
    )
    plain = pdf("<p>Go-live</p>")
    with_image = pdf(f'<p>Go-live</p><img src="data:image/png;base64,{pixel}">')
    assert b"/Subtype /Image" in with_image and b"/Subtype /Image" not in plain
