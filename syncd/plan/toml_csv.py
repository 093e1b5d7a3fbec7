"""Plans kept as text beside a client's config: a TOML file or a CSV sheet.

TOML::

    [plan]
    name = "ACME rollout"
    version = "1"                # which baseline this is; re-baselining bumps it
    label = "Contract baseline"
    unit = "hours"               # or "money", with currency = "EUR"
    holidays = [2026-12-25]

    [[tasks]]
    key = "1.1"                  # stable id; defaults to the wbs code
    wbs = "1.1"
    name = "Discovery"
    start = 2026-10-01
    finish = 2026-10-09
    budget = 120
    predecessors = "1.0FS+2d; 0.9SS"

CSV: one header row, columns named as in docs/plan-formats.md (aliases accepted).
"""

from __future__ import annotations

import csv
import io
import tomllib
from pathlib import Path
from typing import Any

from syncd.errors import PlanError
from syncd.plan.baseline import Baseline
from syncd.plan.tabular import ALIASES, Row, canonical_column, rows_to_baseline, to_date

_PLAN_KEYS = {"name", "version", "label", "unit", "currency", "holidays", "status_date"}


def load_toml(path: Path) -> Baseline:
    """Read a TOML plan file."""
    return parse_toml(_read_text(path), source=path.name, stem=path.stem)


def load_csv(path: Path) -> Baseline:
    """Read a CSV plan sheet."""
    try:
        return parse_csv(_read_text(path), source=path.name, stem=path.stem)
    except csv.Error as exc:  # e.g. a cell past the csv module's field limit
        raise PlanError(f"{path.name}: not a readable CSV sheet: {exc}") from None


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as exc:
        raise PlanError(f"{path.name}: cannot read: {exc}") from None


def parse_toml(text: str, *, source: str, stem: str = "plan") -> Baseline:
    """A Baseline from TOML text; PlanError names the table and key at fault."""
    try:
        doc = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise PlanError(f"{source}: not valid TOML: {exc}") from None
    except RecursionError:
        raise PlanError(f"{source}: not valid TOML: nested too deeply to read") from None
    unknown = set(doc) - {"plan", "tasks"}
    if unknown:
        raise PlanError(
            f"{source}: unknown top-level keys {sorted(unknown)} (use [plan], [[tasks]])"
        )
    meta = _plan_meta(doc.get("plan", {}), source, stem)
    tasks = doc.get("tasks")
    if not isinstance(tasks, list) or not tasks:
        raise PlanError(f"{source}: no [[tasks]]")
    rows: list[Row] = []
    problems: list[str] = []
    for index, table in enumerate(tasks):
        try:
            rows.append(_toml_row(index, table, source))
        except PlanError as exc:
            problems += exc.problems
    if problems:
        raise PlanError(problems)
    return rows_to_baseline(rows, source=source, meta=meta)


def _toml_row(index: int, table: Any, source: str) -> Row:
    where = f"tasks[{index}]"
    if not isinstance(table, dict):
        raise PlanError(f"{source}: {where}: is not a table")
    values: dict[str, Any] = {}
    for name, value in table.items():
        column = canonical_column(name)
        if column is None:
            raise PlanError(f"{source}: {where}: unknown key {name!r}")
        values[column] = value
    return Row(where, values)


def _plan_meta(plan: Any, source: str, stem: str) -> dict[str, Any]:
    if not isinstance(plan, dict):
        raise PlanError(f"{source}: [plan] is not a table")
    unknown = set(plan) - _PLAN_KEYS
    if unknown:
        raise PlanError(f"{source}: [plan]: unknown keys {sorted(unknown)}")
    unit = plan.get("unit", "hours")
    if unit not in ("hours", "money"):
        raise PlanError(f"{source}: [plan]: unit must be 'hours' or 'money', not {unit!r}")
    holidays = [to_date(h, f"{source}: [plan]", "holidays") for h in plan.get("holidays", [])]
    return {
        "name": str(plan.get("name", stem)),
        "version": str(plan.get("version", "1")),
        "label": str(plan.get("label", "")),
        "unit": unit,
        "currency": str(plan.get("currency", "")),
        "status_date": to_date(plan.get("status_date"), f"{source}: [plan]", "status_date"),
        "holidays": tuple(h for h in holidays if h is not None),
        "format": "toml",
    }


def parse_csv(text: str, *, source: str, stem: str = "plan") -> Baseline:
    """A Baseline from CSV text (comma, semicolon or tab separated, sniffed)."""
    if not text.strip():
        raise PlanError(f"{source}: the file is empty")
    dialect = _sniff(text)
    reader = csv.reader(io.StringIO(text), dialect)
    header = next(reader)
    columns = [canonical_column(h) for h in header]
    notes = [
        f"{source}: column {h!r} ignored" for h, c in zip(header, columns, strict=True) if c is None
    ]
    for needed in ("name",):
        if needed not in columns:
            # the header is not echoed: a file that is no plan must not be printed back
            raise PlanError(
                f"{source}: line 1: the header has no {needed!r} column"
                f" (nor {', '.join(ALIASES[needed])}) among its {len(header)} column(s)"
            )
    money = any(h.strip().lower() == "cost" for h in header)
    rows: list[Row] = []
    currency = ""
    for number, cells in enumerate(reader, start=2):
        if not any(c.strip() for c in cells):
            continue
        if len(cells) > len(header):
            raise PlanError(f"{source}: row {number}: {len(cells)} cells but {len(header)} columns")
        values = {c: v.strip() for c, v in zip(columns, cells, strict=False) if c is not None}
        currency = currency or str(values.pop("currency", ""))
        rows.append(Row(f"row {number}", values))
    if not rows:
        raise PlanError(f"{source}: no task rows under the header")
    meta: dict[str, Any] = {"name": stem, "format": "csv", "notes": notes}
    meta |= {"unit": "money", "currency": currency} if money else {}
    return rows_to_baseline(rows, source=source, meta=meta)


class _Sheet(csv.excel):
    """Spreadsheet CSV: `"` quotes, a doubled `""` inside quotes is one quote character."""


def _sniff(text: str) -> type[csv.Dialect]:
    """The dialect of a sheet: its delimiter and spacing are guessed from the header line; the
    Sniffer's guess about quotes, made from that one line, would turn off doubled quotes."""
    try:
        found = csv.Sniffer().sniff(text.splitlines()[0], delimiters=",;\t")
    except csv.Error:
        return _Sheet
    guessed = {"delimiter": found.delimiter, "skipinitialspace": found.skipinitialspace}
    return type("_Sniffed", (_Sheet,), guessed)
