"""Secrets out of everything syncd writes: log lines, error messages, stored problems.

Two nets, applied together by `text`:

* known values: every credential syncd has read (`remember`) — configured tokens, keys and
  secrets, and the OAuth tokens it is handed — is replaced wherever it appears;
* URL shapes: a password in a URL's userinfo, the value of a query parameter whose name says
  key, token, secret, password, signature, credential or auth, and the path segment after `tokens`,
  `secrets` or `keys` (Trello lists a token's webhooks at `/1/tokens/<token>/webhooks`).

`install` makes every log record of the process pass through `text` as it is made, whichever
logger made it (httpx, httpcore, uvicorn, dramatiq, ours) and whichever handler prints it.
"""

from __future__ import annotations

import logging
import re
import threading
from collections import OrderedDict
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import httpx

MASK = "***"
SHORTEST = 6  # a shorter value would mask ordinary words; no real credential is this short
PASSING_MAX = 512  # rotating tokens remembered at once; the oldest are long dead

_SECRET_NAME = r"[\w.-]*?(?:key|token|secret|passw|signature|credential|auth)[\w.-]*"  # noqa: S105 -- a pattern of names, not a secret
_USERINFO = re.compile(r"(?P<scheme>\b[a-z][a-z0-9+.-]*://)[^/\s@?#]*@", re.IGNORECASE)
_QUERY = re.compile(rf"(?P<name>[?&;]{_SECRET_NAME}=)[^&;#\s\"'<>]*", re.IGNORECASE)
_PATH = re.compile(r"(?P<name>/(?:tokens?|secrets?|keys?)/)[^/?#\s\"'<>]+", re.IGNORECASE)

_lock = threading.Lock()
_lasting: set[str] = set()
_passing: OrderedDict[str, None] = OrderedDict()
_ordered: tuple[str, ...] = ()  # every known value, longest first


def remember(*values: str | None, lasting: bool = True) -> None:
    """Mask these values from now on. Configured credentials last; rotating tokens
    (`lasting=False`) are forgotten once `PASSING_MAX` newer ones have been seen."""
    global _ordered
    fresh = [v for v in values if v and len(v) >= SHORTEST]
    if not fresh:
        return
    with _lock:
        for value in fresh:
            if lasting:
                _lasting.add(value)
            else:
                _passing[value] = None
                _passing.move_to_end(value)
                while len(_passing) > PASSING_MAX:
                    _passing.popitem(last=False)
        _ordered = tuple(sorted(_lasting | set(_passing), key=len, reverse=True))


def text(value: str) -> str:
    """`value` with every known secret and every secret-shaped part of a URL masked."""
    for secret in _ordered:
        if secret in value:
            value = value.replace(secret, MASK)
    if "/" not in value and "=" not in value:
        return value  # no URL and no query: nothing shaped like a secret
    value = _USERINFO.sub(rf"\g<scheme>{MASK}@", value)
    value = _QUERY.sub(rf"\g<name>{MASK}", value)
    return _PATH.sub(rf"\g<name>{MASK}", value)


def where(method: str, url: str | httpx.URL) -> str:
    """`METHOD /path` of a request, for a message: no host, no query, secrets in the path
    masked."""
    import httpx  # here: most commands never make a request, and httpx costs 0.1 s to import

    return f"{method} {text(httpx.URL(url).path)}"


def _arg(value: Any) -> Any:
    """A log argument, masked when it is text (or prints as text) holding a secret."""
    if isinstance(value, str):
        return text(value)
    if isinstance(value, int | float | bool) or value is None:
        return value
    shown = str(value)
    masked = text(shown)
    return value if masked == shown else masked


def record(entry: logging.LogRecord) -> logging.LogRecord:
    """Mask secrets in a log record's message, arguments, exception and stack text. The
    arguments are masked one by one, so formatters that read them (uvicorn's) still can; a
    secret that only the whole line shows (a token put into a template's URL) masks the line."""
    if entry.args:
        if isinstance(entry.args, tuple):
            entry.args = tuple(_arg(a) for a in entry.args)
        elif isinstance(entry.args, dict):
            entry.args = {k: _arg(v) for k, v in entry.args.items()}
        try:
            line = entry.getMessage()
        except (TypeError, ValueError):  # a bad template: logging reports it when it prints
            line = None
        if line is not None and (masked := text(line)) != line:
            entry.msg, entry.args = masked, None
    else:
        entry.msg = text(str(entry.msg))
    if entry.exc_info and not entry.exc_text:
        entry.exc_text = text(logging.Formatter().formatException(entry.exc_info))
    if entry.stack_info:
        entry.stack_info = text(entry.stack_info)
    return entry


_installed = False


def install() -> None:
    """Pass every log record the process makes through `record` (once; idempotent)."""
    global _installed
    with _lock:
        if _installed:
            return
        _installed = True
        make = logging.getLogRecordFactory()

    def masked(*args: Any, **kwargs: Any) -> logging.LogRecord:
        return record(make(*args, **kwargs))

    logging.setLogRecordFactory(masked)
