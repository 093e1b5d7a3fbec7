"""The house rules of `docs/architecture.md`, read off the code itself: trackers live in their
own folders and nothing else names them; connectors import only what they may; only the store
writes SQL; no import cycles."""

from __future__ import annotations

import ast
import re
import tomllib
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd.connectors.registry import KINDS

REPO = Path(__file__).resolve().parents[1]
PACKAGE = REPO / "syncd"
PROJECT = tomllib.loads((REPO / "pyproject.toml").read_text(encoding="utf-8"))["project"]
DEPENDENCIES = {re.split(r"[^\w.-]", d, maxsplit=1)[0].lower() for d in PROJECT["dependencies"]}

# Where a tracker may be named: its own folder, the registry that lists them, and the parts that
# stand in for or play the trackers (sandbox, demo) or record the past (migrations).
MAY_NAME_TRACKERS = (
    *(f"connectors/{name}/" for name in KINDS),
    "connectors/registry.py",
    "sandbox/",
    "demo.py",
    "comms/demo.py",
    "migrations/",
)
# What still names a tracker elsewhere (file, what), to shrink to nothing. Empty today.
KNOWN_NAMING: set[tuple[str, str]] = set()

# What a connector may import besides other connector modules: the model, errors, HTTP, the
# clock, the redaction of secrets and the client file's mapping types (the probe reads them).
CONNECTORS_MAY_IMPORT = {
    "syncd.clock",
    "syncd.errors",
    "syncd.http",
    "syncd.model",
    "syncd.redact",
    "syncd.mapping.config",
}

# The layers, top to bottom (`docs/architecture.md`). A module may import modules of its own
# layer (the graph stays free of cycles) and of the layers below it, never one above. A module
# belongs to the layer of the longest name listed that is it or a package holding it; the
# package `syncd` itself only by its own name.
LAYERS: tuple[tuple[str, tuple[str, ...]], ...] = (
    # How syncd is used and run. `daemon` is the composition root of `syncd run` and `syncd
    # worker`: it builds the web server beside scheduler and workers, so it sits with the faces
    # (web never imports it). The communication plan's demo drives the demo's deliveries. The
    # conformance suite (`testing`) is a face for test suites: it drives connectors from outside.
    (
        "face",
        ("syncd.__main__", "syncd.cli", "syncd.check", "syncd.web", "syncd.demo", "syncd.daemon",
         "syncd.comms.demo", "syncd.testing"),
    ),
    # What runs unattended: the scheduler, the broker and its actors, the process's runtime and
    # the client files it keeps loaded.
    (
        "process",
        ("syncd.scheduler", "syncd.queue", "syncd.actors", "syncd.runtime", "syncd.clientdir"),
    ),
    # Where store, domain and connectors meet: a pull, a reconcile with its outbox, a push; and
    # the communication plan's counterpart of a push (deliveries kept once in the store, what is
    # due, the answers to its feedback links), which the pipeline, the actors and the scheduler
    # call and which, like a push, reads and writes the store and the job table.
    (
        "pipeline",
        ("syncd.pipeline", "syncd.sync", "syncd.status", "syncd.comms.delivery", "syncd.comms.due",
         "syncd.comms.feedback"),
    ),
    # The domain, reports first: what a status is and how it reads (reports; the communication
    # plan's messages, which each channel builds from a status and hands to the SMTP server or
    # chat webhook it is given, never touching the store); the client files' models.
    ("domain: reports, communication, clients", ("syncd.reports", "syncd.comms", "syncd.clients")),
    ("domain: plan", ("syncd.plan",)),
    ("domain: mapping, schedule", ("syncd.mapping", "syncd.schedule")),
    ("connectors", ("syncd.connectors",)),
    (
        "infrastructure",
        ("syncd.store", "syncd.db", "syncd.migrations", "syncd.migrate", "syncd.http",
         "syncd.budget", "syncd.budget_shared", "syncd.rate", "syncd.logs", "syncd.metrics",
         "syncd.settings", "syncd.terminal"),
    ),
    # What every layer shares: the normalized model, the errors (which mask secrets in their
    # messages, hence `redact`), the client file's mapping types that connectors read too, and
    # the clock every wait and every "now" goes through.
    ("base", ("syncd", "syncd.model", "syncd.errors", "syncd.redact", "syncd.mapping.config",
              "syncd.clock")),
)  # fmt: skip
# The sandbox stands apart: a tracker's look-alike knows nothing of syncd, and only the faces
# (the demo, `syncd sandbox`) start it.
SANDBOX = "syncd.sandbox"
# Imports that go upward (module, imported module), each with why it is not fixed yet; to
# shrink to nothing. Empty today.
KNOWN_UPWARD: set[tuple[str, str]] = set()

# Where SQL may be written: the store, the tables it reads and writes, and their migrations; the
# sandbox keeps data of its own (the tools it plays), none of syncd's.
MAY_WRITE_SQL = ("store/", "db.py", "migrate.py", "migrations/", "sandbox/")
# What still writes SQL elsewhere, each with why it is not moved yet; to shrink to nothing.
# Empty today.
KNOWN_SQL: set[str] = set()
# What the rest may take from SQLAlchemy: the engine and the session it hands to the store.
SQLALCHEMY_TYPES = {"Engine", "Session"}
# What the rest may take from `syncd.db` beyond annotations: the engine it opens.
DB_OUTSIDE = {"make_engine"}
SQL_CALLS = {"execute", "exec_driver_sql"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


MODULES = {module_name(path): path for path in PACKAGE.rglob("*.py")}


def resolve(name: str) -> str | None:
    """The syncd module `name` is, or lies in (an attribute's module)."""
    while name and name not in MODULES:
        name = name.rpartition(".")[0]
    return name or None


def imports(path: Path, own: str | None = None) -> set[str]:
    """Every syncd module `path` (module `own`, by default the one its place names) imports, at
    module level, in functions or for type checking."""
    found: set[str | None] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {resolve(a.name) for a in node.names if a.name.startswith("syncd")}
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith("syncd"):
            module = str(node.module)
            for alias in node.names:
                full = f"{module}.{alias.name}"
                found.add(full if full in MODULES else resolve(module))
    found.discard(None)
    found.discard(own if own is not None else module_name(path))
    return {name for name in found if name is not None}


GRAPH = {name: imports(path, name) for name, path in MODULES.items()}


def _pop_until(stack: list[str], node: str) -> frozenset[str]:
    """The members of `node`'s component: the stack down to `node`, popped."""
    members = set()
    while True:
        member = stack.pop()
        members.add(member)
        if member == node:
            return frozenset(members)


def cycles(graph: dict[str, set[str]]) -> list[frozenset[str]]:
    """The strongly connected sets of more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[frozenset[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for other in sorted(graph.get(node, ())):
            if other not in index:
                visit(other)
                low[node] = min(low[node], low[other])
            elif other in stack:
                low[node] = min(low[node], index[other])
        if low[node] == index[node]:
            members = _pop_until(stack, node)
            if len(members) > 1:
                found.append(members)

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def layer_of(module: str) -> int | None:
    """The index in `LAYERS` of `module`'s layer (0 the top); None when none is listed."""
    found = [
        (len(name), index)
        for index, (_, names) in enumerate(LAYERS)
        for name in names
        if module == name or (name != "syncd" and module.startswith(f"{name}."))
    ]
    return max(found)[1] if found else None


def upward(graph: dict[str, set[str]]) -> set[tuple[str, str]]:
    """Every import (module, imported) of `graph` that goes to a higher layer."""
    found = set()
    for module, targets in graph.items():
        here = layer_of(module)
        for target in targets:
            there = layer_of(target)
            if here is not None and there is not None and there < here:
                found.add((module, target))
    return found


def foreign(path: Path) -> set[str]:
    """The top-level packages outside syncd that `path` imports, anywhere in it."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            found |= {a.name.split(".")[0] for a in node.names}
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            found.add(node.module.split(".")[0])
    return found - {"syncd"}


def annotation_only(tree: ast.Module) -> set[ast.AST]:
    """The imports under `if TYPE_CHECKING:`, which name types and run nothing."""
    return {
        node
        for block in ast.walk(tree)
        if isinstance(block, ast.If) and ast.unparse(block.test).endswith("TYPE_CHECKING")
        for statement in block.body
        for node in ast.walk(statement)
    }


def syncd_modules_bound(tree: ast.Module) -> set[str]:
    """The names a file binds to syncd modules (`from syncd import actors` binds `actors`)."""
    bound = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.ImportFrom) and (node.module or "").startswith("syncd"):
            bound |= {
                a.asname or a.name for a in node.names if f"{node.module}.{a.name}" in MODULES
            }
        elif isinstance(node, ast.Import):
            bound |= {a.asname for a in node.names if a.asname and a.name in MODULES}
    return bound


def sql(path: Path) -> Iterator[str]:
    """What in `path` reaches the tables past the store: an import from SQLAlchemy beyond the
    engine and session types (statements, functions, dialects, its errors), a table of
    `syncd.db` imported for more than annotations, a call of `.execute(` on anything but a
    syncd module (`actors.execute` runs a job)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    typing_only, modules = annotation_only(tree), syncd_modules_bound(tree)
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.split(".")[0] == "sqlalchemy":
                    yield f"line {node.lineno}: import {alias.name}"
        elif isinstance(node, ast.ImportFrom) and (node.module or "").split(".")[0] == "sqlalchemy":
            names = sorted({a.name for a in node.names} - SQLALCHEMY_TYPES)
            if names:
                yield f"line {node.lineno}: from {node.module} import {', '.join(names)}"
        elif isinstance(node, ast.ImportFrom) and node.module == "syncd.db":
            names = sorted({a.name for a in node.names} - DB_OUTSIDE)
            if names and node not in typing_only:
                yield f"line {node.lineno}: from syncd.db import {', '.join(names)}"
        elif (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Attribute)
            and node.func.attr in SQL_CALLS
            and not (isinstance(node.func.value, ast.Name) and node.func.value.id in modules)
        ):
            yield f"line {node.lineno}: .{node.func.attr}("


def naming(path: Path) -> Iterator[str]:
    """What in `path` names a tracker: a string literal that is a tracker's name, an
    `isinstance` against a tracker's class or config, an import from a tracker's package."""
    names = set(KINDS)
    classes = {
        f"{name.capitalize()}{suffix}" for name in names for suffix in ("Connector", "Config")
    }
    packages = tuple(f"syncd.connectors.{name}" for name in names)
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Constant) and isinstance(node.value, str):
            if node.value.strip().lower() in names:
                yield f"line {node.lineno}: literal {node.value!r}"
        elif isinstance(node, ast.Call) and ast.unparse(node.func) == "isinstance":
            used = {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} & classes
            if used:
                yield f"line {node.lineno}: isinstance against {', '.join(sorted(used))}"
        elif isinstance(node, ast.ImportFrom) and (node.module or "").startswith(packages):
            yield f"line {node.lineno}: import from {node.module}"


def test_only_the_tracker_folders_and_the_registry_name_a_tracker() -> None:
    """Outside `connectors/<tool>/`, the registry, the sandbox, the demo and the migrations,
    no code names a tracker (beyond the listed exceptions, which may only shrink)."""
    found = {
        (str(path.relative_to(PACKAGE)), what)
        for path in sorted(PACKAGE.rglob("*.py"))
        if not str(path.relative_to(PACKAGE)).startswith(MAY_NAME_TRACKERS)
        for what in naming(path)
    }
    assert found - KNOWN_NAMING == set(), "a tracker named outside its folder"
    assert KNOWN_NAMING - found == set(), "fixed: remove these from KNOWN_NAMING"


def test_the_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The scan is not blind: a literal, an isinstance and an import of a tracker are found."""
    name = next(iter(KINDS))
    source = tmp_path / "caller.py"
    source.write_text(
        f"from syncd.connectors.{name}.config import X\n"
        f"kind = {name!r}\n"
        f"ok = isinstance(x, {name.capitalize()}Connector)\n"
    )
    assert [what.split(":")[0] for what in naming(source)] == ["line 1", "line 2", "line 3"]


def test_only_the_store_writes_sql() -> None:
    """Outside the store (and the tables and migrations beside it), no code builds a statement,
    imports a table to read or write it, or executes SQL: it calls the store's functions
    (beyond the listed exceptions, which may only shrink)."""
    found = {
        str(path.relative_to(PACKAGE)): list(sql(path))
        for path in sorted(PACKAGE.rglob("*.py"))
        if not str(path.relative_to(PACKAGE)).startswith(MAY_WRITE_SQL)
    }
    writing = {name for name, what in found.items() if what}
    assert {name: found[name] for name in writing - KNOWN_SQL} == {}, "SQL outside the store"
    assert KNOWN_SQL - writing == set(), "fixed: remove these from KNOWN_SQL"


def test_the_sql_scan_finds_what_it_looks_for(tmp_path: Path) -> None:
    """The SQL scan is not blind: a statement, a dialect's insert, SQLAlchemy itself, a table
    and an `.execute(` are found; the engine and session types, a table named for annotations
    and a syncd module's `execute` (a job run by hand) are not."""
    source = tmp_path / "caller.py"
    source.write_text(
        "from typing import TYPE_CHECKING\n"
        "from sqlalchemy import select, text\n"
        "from sqlalchemy.dialects.postgresql import insert\n"
        "import sqlalchemy as sa\n"
        "from syncd.db import Job, make_engine\n"
        "session.execute(select(Job))\n"
        "from sqlalchemy.engine import Engine\n"
        "from sqlalchemy.orm import Session\n"
        "if TYPE_CHECKING:\n"
        "    from syncd.db import BaselineRow\n"
        "from syncd import actors\n"
        "actors.execute('push', 1)\n"
    )
    assert sorted(sql(source), key=lambda what: int(what.split()[1].rstrip(":"))) == [
        "line 2: from sqlalchemy import select, text",
        "line 3: from sqlalchemy.dialects.postgresql import insert",
        "line 4: import sqlalchemy",
        "line 5: from syncd.db import Job",
        "line 6: .execute(",
    ]


def test_connectors_import_only_what_they_may() -> None:
    """A connector knows the model, errors, HTTP and the mapping types, never the store, the
    pipeline, the daemon, the web or the reports."""
    wrong = {
        (module, target)
        for module, targets in GRAPH.items()
        if module.startswith("syncd.connectors")
        for target in targets
        if not target.startswith("syncd.connectors") and target not in CONNECTORS_MAY_IMPORT
    }
    assert wrong == set()


def test_nothing_in_syncd_imports_the_conformance_suite() -> None:
    """`syncd.testing` imports pytest, a development dependency: it is for test suites alone,
    and no module of the package imports it."""
    found = {module for module, targets in GRAPH.items() if "syncd.testing" in targets}
    assert found == set()
    assert "syncd.testing" in MODULES and "pytest" not in DEPENDENCIES


def test_the_clock_imports_nothing_of_syncd() -> None:
    """The clock sits under everything that reads the time, so it stands on nothing of syncd."""
    assert GRAPH["syncd.clock"] == set()


def test_no_tracker_package_is_imported_but_through_the_registry() -> None:
    """Outside its own folder only the registry imports a tracker's package."""
    packages = tuple(f"syncd.connectors.{name}" for name in KINDS)
    found = {
        (module, target)
        for module, targets in GRAPH.items()
        if not module.startswith(packages) and module != "syncd.connectors.registry"
        and not module.startswith(("syncd.sandbox", "syncd.demo", "syncd.comms.demo"))
        for target in targets
        if target.startswith(packages)
    }  # fmt: skip
    assert found == set()


def test_no_import_cycles() -> None:
    """No two syncd modules import each other, directly or around a circle (the Jira
    connector's pull and push, the job handlers and the queue, the budgets once did)."""
    assert cycles(GRAPH) == []


def test_every_module_has_a_layer() -> None:
    """Each syncd module outside the sandbox is in one of the listed layers."""
    assert [m for m in MODULES if not m.startswith(SANDBOX) and layer_of(m) is None] == []


def test_imports_never_go_up_a_layer() -> None:
    """No module imports one of a higher layer (beyond the listed exceptions, which may only
    shrink): the faces use the process, the process the pipeline, down to the model."""
    found = upward({m: t for m, t in GRAPH.items() if not m.startswith(SANDBOX)})
    assert found - KNOWN_UPWARD == set(), "an import goes up a layer"
    assert KNOWN_UPWARD - found == set(), "fixed: remove these from KNOWN_UPWARD"


def test_the_layer_check_finds_an_upward_import(tmp_path: Path) -> None:
    """A model that imports the web and the pipeline is caught; its own and lower layers are not."""
    planted = tmp_path / "model.py"
    planted.write_text(
        "from syncd.web.app import create_app\n"
        "import syncd.pipeline\n"
        "from syncd.errors import ConfigError\n"
    )
    graph = {**GRAPH, "syncd.model": imports(planted, "syncd.model")}
    assert upward(graph) - upward(GRAPH) == {
        ("syncd.model", "syncd.web.app"),
        ("syncd.model", "syncd.pipeline"),
    }


def test_the_sandbox_stands_apart() -> None:
    """The sandbox imports nothing of syncd but itself, and only the faces import it."""
    inside = {
        (module, target)
        for module, targets in GRAPH.items()
        if module.startswith(SANDBOX)
        for target in targets
        if not target.startswith(SANDBOX)
    }
    users = {
        module
        for module, targets in GRAPH.items()
        if not module.startswith(SANDBOX) and any(t.startswith(SANDBOX) for t in targets)
    }
    assert inside == set()
    assert {m for m in users if layer_of(m) != 0} == set()


@pytest.mark.parametrize("package", ["syncd.reports", "syncd.plan", "syncd.mapping"])
def test_the_pure_core_never_opens_the_store(package: str) -> None:
    """Reports render what they are given, plan and mapping compute on values: none of them
    imports the store, the database tables or SQLAlchemy (the caller loads)."""
    mine = {m: p for m, p in MODULES.items() if m == package or m.startswith(f"{package}.")}
    stored = {
        (module, target)
        for module in mine
        for target in GRAPH[module]
        if target in ("syncd.db", "syncd.store") or target.startswith("syncd.store.")
    }
    assert stored == set()
    assert {m for m, path in mine.items() if "sqlalchemy" in foreign(path)} == set()


def test_the_cycle_finder_finds_cycles() -> None:
    """Tarjan over a small graph: one cycle of three, one of two, a tail without one."""
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a", "d"}, "d": {"e"}, "e": {"d"}, "f": {"a"}}
    assert set(cycles(graph)) == {frozenset("abc"), frozenset("de")}
