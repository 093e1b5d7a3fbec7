"""How the process logs: level and format from the settings (or the command line), to stderr.

    configure("DEBUG", json=True)

Text lines read `2026-01-05 10:00:00,123 INFO syncd.sync: pulled acme/acme-jira: …`; JSON lines
are one object each, with `time` (ISO 8601, UTC), `level`, `logger`, `message`, and
`exception` when there is one (and `request_id` inside a web request). httpx, httpcore and
alembic log every request or migration step at INFO: they follow the level only at DEBUG, and
stay at WARNING otherwise. Every record is masked by `syncd.redact` as it is made, whatever
the format.
"""

from __future__ import annotations

import json
import logging
import sys
from datetime import UTC, datetime
from typing import IO

from syncd import redact

LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")
FORMATS = ("text", "json")
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
CHATTY = ("httpx", "httpcore", "alembic")  # a line per request or migration step at INFO


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        request_id = getattr(record, "request_id", None)
        if request_id not in (None, "-"):
            line["request_id"] = str(request_id)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        if record.stack_info:
            line["stack"] = self.formatStack(record.stack_info)
        return json.dumps(line, ensure_ascii=False)


_handler: logging.Handler | None = None


def configure(level: str, *, json: bool = False, stream: IO[str] | None = None) -> None:
    """Log `level` and above to `stream` (stderr), as text or JSON lines. Called again, it
    replaces its own handler and leaves others (a test's capture) alone."""
    global _handler
    name = level.upper()
    if name not in LEVELS:
        raise ValueError(f"unknown log level {level!r} (one of {', '.join(LEVELS)})")
    redact.install()
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(JsonFormatter() if json else logging.Formatter(TEXT))
    root = logging.getLogger()
    if _handler is not None:
        root.removeHandler(_handler)
    root.addHandler(handler)
    _handler = handler
    root.setLevel(name)
    for chatty in CHATTY:
        logging.getLogger(chatty).setLevel(logging.NOTSET if name == "DEBUG" else logging.WARNING)
