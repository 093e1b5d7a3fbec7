"""The consolidated status of a client and its renderings: HTML, Markdown, JSON, CSV, push bodies.

`build_status` is pure, and nothing here opens the store: `syncd.status.load_status` reads what
it needs and hands it over.
"""

from syncd.model import Health
from syncd.reports.build import build_status, client_info
from syncd.reports.csvout import render_csv
from syncd.reports.html import render_html
from syncd.reports.jsonout import render_json, status_to_dict
from syncd.reports.markdown import render_markdown
from syncd.reports.model import ClientInfo, SourceInfo, Status
from syncd.reports.push import push_bodies

RENDERERS = {
    "html": render_html,
    "md": render_markdown,
    "json": render_json,
    "csv": render_csv,
}

__all__ = [
    "RENDERERS",
    "ClientInfo",
    "Health",
    "SourceInfo",
    "Status",
    "build_status",
    "client_info",
    "push_bodies",
    "render_csv",
    "render_html",
    "render_json",
    "render_markdown",
    "status_to_dict",
]
