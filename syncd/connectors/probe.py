"""What `syncd check --online` learns from one question to a tool: a `Finding` per check.

Each connector answers `probe(mapping)` with read-only requests only (no write, no webhook made)
and never puts a credential in a finding: details name environment variables, never values.
"""

from __future__ import annotations

import difflib
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import httpx

from syncd import redact
from syncd.errors import RemoteError
from syncd.mapping.config import MappingConfig


@dataclass(frozen=True, slots=True)
class Finding:
    """One check's outcome: what was asked, whether it is fine, what the tool answered."""

    check: str
    ok: bool
    detail: str


def good(check: str, detail: str) -> Finding:
    return Finding(check, True, detail)


def bad(check: str, detail: str) -> Finding:
    return Finding(check, False, detail)


async def guarded(check: str, ask: Callable[[], Awaitable[list[Finding]]]) -> list[Finding]:
    """`ask()`'s findings; a failed request (refused, unreachable, timed out) is one red line."""
    try:
        return await ask()
    except RemoteError as exc:
        return [bad(check, str(exc))]
    except httpx.HTTPError as exc:
        return [bad(check, f"no answer: {redact.text(str(exc)) or type(exc).__name__}")]


def error_messages(response: httpx.Response) -> str:
    """Jira's `errorMessages`/`errors`, or the start of the body, as one line."""
    try:
        body: Any = response.json()
    except ValueError:
        return redact.text(response.text[:200].strip()) or f"HTTP {response.status_code}"
    if isinstance(body, dict):
        found = [str(m) for m in body.get("errorMessages") or []]
        found += [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
        if found:
            return redact.text("; ".join(found))
    return f"HTTP {response.status_code}"


def look_alikes(wanted: str, names: Iterable[str], *, hints: Sequence[str] = ()) -> list[str]:
    """Names close to `wanted` (a typo, another case), inside it or holding it, or holding one
    of `hints`; best first."""
    pool = list(dict.fromkeys(names))
    lower = {n.lower(): n for n in pool}
    close = difflib.get_close_matches(wanted.lower(), list(lower), n=5, cutoff=0.6)
    found = [lower[c] for c in close]
    key = wanted.lower()
    found += [n for n in pool if n not in found and n and (n.lower() in key or key in n.lower())]
    found += [n for n in pool if any(h in n.lower() for h in hints) and n not in found]
    return found[:5]


def quoted(names: Iterable[str]) -> str:
    return ", ".join(repr(n) for n in names) or "none"


def field_rules(mapping: MappingConfig, connector_id: str) -> list[tuple[int, str, bool]]:
    """`[[links]] by = "field"` rules that read this connector's items: (index, field name,
    whether the rule names this connector as its source)."""
    return [
        (index, rule.field, rule.source == connector_id)
        for index, rule in enumerate(mapping.links)
        if rule.by == "field" and rule.field and rule.source in (None, connector_id)
    ]


def named_field(index: int, name: str, names: Sequence[str], *, explicit: bool) -> Finding:
    """Whether the field a `by = "field"` rule reads exists among `names` (any case)."""
    check = f"links[{index}] field {name!r}"
    if name.lower() in {n.lower() for n in names}:
        return good(check, "exists")
    nearby = look_alikes(name, names)
    detail = f"no such field (look-alikes: {quoted(nearby)})"
    if explicit:
        return bad(check, detail)
    return good(check, f"{detail}; the rule has no source, so another connector may have it")
