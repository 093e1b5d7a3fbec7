"""The HTML rendering: one self-contained file, charts included, that opens without a network.

Jinja2 autoescapes everything; the chart library and the chart code are inlined, and a
Content-Security-Policy forbids the page from loading anything at all.
"""

from __future__ import annotations

from datetime import date, datetime
from functools import cache

from jinja2 import BaseLoader, Environment, PackageLoader, select_autoescape

from syncd.reports import text
from syncd.reports.charts import asset, chart_data
from syncd.reports.jsonout import status_to_dict
from syncd.reports.model import Status


def _iso(value: date | datetime | None) -> str:
    return "" if value is None else value.isoformat()


def _judge(value: float | None, amber: float, red: float) -> str:
    """The CSS class of an index against a client's thresholds: bad, warn, good or none."""
    from syncd.reports.overview import judge

    return judge(value, amber, red)


def configure(env: Environment) -> Environment:
    """Add the report filters (number, index, pct, slip, amount, signed, day, iso) to `env`."""
    env.filters.update(
        number=text.number,
        index=text.index,
        pct=text.percent,
        slip=text.slip,
        amount=text.amount,
        signed=text.signed,
        day=text.day,
        iso=_iso,
        judge=_judge,
    )
    env.policies["json.dumps_kwargs"] = {"sort_keys": False, "ensure_ascii": False}
    return env


def loader() -> BaseLoader:
    return PackageLoader("syncd.reports", "templates")


@cache
def environment() -> Environment:
    env = Environment(loader=loader(), autoescape=select_autoescape(default=True))
    return configure(env)


def render_html(status: Status) -> str:
    """The whole report as one HTML document."""
    template = environment().get_template("report.html")
    return template.render(
        s=status,
        css=asset("syncd.css"),
        chart_lib=asset("chart.umd.min.js"),
        chart_code=asset("charts.js"),
        chart_data=chart_data(status),
        status_data=status_to_dict(status),
    )
