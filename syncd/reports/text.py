"""How figures read in every rendering: numbers, ratios, percentages, slips, dates, escaping."""

from __future__ import annotations

import re
from datetime import date, datetime
from urllib.parse import quote

from syncd.reports.model import Figures
from syncd.terminal import printable

DASH = "–"
_MD_SPECIAL = re.compile(r"([\\`*_\[\]<>|#~&!])")
_WIKI_SPECIAL = re.compile(r"([\\*_\[\]{}|#~^?!])")
_PATH_SAFE = "/:?#@!$&'*+,;=%~-._"  # brackets, quotes, pipes, spaces... could end a link
_HOST_SAFE = ":@[]%-._~"  # brackets of an IPv6 literal stay


def number(value: float | None, digits: int = 1) -> str:
    """``1,234.5``; a dash when unknown."""
    if value is None:
        return DASH
    text = f"{value:,.{digits}f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


def index(value: float | None) -> str:
    """An index such as SPI: two decimals, ``n/a`` when undefined."""
    return "n/a" if value is None else f"{value:.2f}"


def percent(value: float | None) -> str:
    """A 0..1 fraction as ``45%``."""
    return DASH if value is None else f"{value * 100:.0f}%"


def slip(value: float | None) -> str:
    """Working days late (``+1.6 wd``), early (``-1 wd``) or on time (``0 wd``)."""
    if value is None:
        return DASH
    if abs(value) < 0.05:
        return "0 wd"
    return f"{value:+.1f} wd".replace(".0 wd", " wd")


def link(kind: str | None, lag_days: float | None) -> str:
    """A link as schedulers write it: ``FS``, ``SS+2d``, ``FF-1d``, ``FS+0.5d``."""
    if not kind:
        return ""
    if lag_days is None or abs(lag_days) < 0.05:
        return kind
    return f"{kind}{lag_days:+.1f}d".replace(".0d", "d")


_DRIVEN = {
    "actual": "actual dates",
    "in_progress": "in progress: the rest from the status date",
    "baseline_start": "its baseline start",
    "status_date": "the status date (its baseline start has passed)",
}


def driver(kind: str, predecessor: str | None = None, link_text: str = "") -> str:
    """What drives a forecast, in words; `predecessor` is the driving task's label."""
    if predecessor is None:
        return _DRIVEN.get(kind, kind)
    how = f" ({link_text})" if link_text else ""
    if kind == "in_progress":
        return f"in progress: the rest waits for {predecessor}{how}"
    return f"{predecessor}{how}"


def amount(value: float | None, figures: Figures) -> str:
    """A budget figure with its unit: ``130 h`` or ``EUR 1,300``."""
    if value is None:
        return DASH
    if figures.unit == "money":
        return f"{figures.currency} {number(value, 0)}".strip()
    return f"{number(value)} h"


def signed(value: float | None, figures: Figures) -> str:
    if value is None:
        return DASH
    sign = "+" if value > 0 else ""
    return sign + amount(value, figures)


def day(value: date | datetime | None) -> str:
    if value is None:
        return DASH
    if isinstance(value, datetime):
        return value.strftime("%Y-%m-%d %H:%M UTC")
    return value.isoformat()


def one_line(text: str) -> str:
    """Tracker text on one line (titles can hold newlines), without control characters."""
    return printable(" ".join(text.split()))


def link_url(url: str) -> str:
    """A link target for Markdown or wiki markup: http(s) only (empty otherwise), with every
    character that could end the target or start markup (spaces, brackets, parentheses,
    quotes, backslashes, pipes, controls) percent-encoded."""
    if not url.lower().startswith(("https://", "http://")):
        return ""
    scheme, _, rest = url.partition("://")
    host, slash, path = rest.partition("/")
    return f"{scheme}://{quote(host, safe=_HOST_SAFE)}{slash}{quote(path, safe=_PATH_SAFE)}"


def md(text: str) -> str:
    """Tracker text made inert in Markdown: every markup character backslash-escaped."""
    return _MD_SPECIAL.sub(r"\\\1", one_line(text))


def wiki(text: str) -> str:
    """Tracker text made inert in Jira wiki markup."""
    return _WIKI_SPECIAL.sub(r"\\\1", one_line(text))
