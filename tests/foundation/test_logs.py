"""Logging follows SYNCD_LOG_LEVEL, --log-level and -v on every command; JSON lines on request."""

from __future__ import annotations

import io
import json
import logging
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from syncd import logs
from syncd.cli import hoist_log_options

MIGRATION_LINE = "Running upgrade"  # alembic, at INFO; shown when syncd logs at DEBUG


def syncd(tmp_path: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    """`syncd <args>` against an empty data directory; SYNCD_* only from `env`."""
    base = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    settings = {"SYNCD_DATA_DIR": str(tmp_path), "SYNCD_CONFIG_DIR": str(tmp_path / "config")}
    return subprocess.run(
        [sys.executable, "-m", "syncd", *args],
        capture_output=True, text=True, env=base | settings | env, check=False, timeout=120,
    )  # fmt: skip


@pytest.fixture
def root_logging() -> Iterator[None]:
    """The root logger's level and syncd's handler put back after the test."""
    root = logging.getLogger()
    level = root.level
    yield
    if logs._handler is not None:
        root.removeHandler(logs._handler)
        logs._handler = None
    root.setLevel(level)
    for name in logs.CHATTY:
        logging.getLogger(name).setLevel(logging.NOTSET)


def test_syncd_log_level_is_applied(tmp_path: Path) -> None:
    """SYNCD_LOG_LEVEL=DEBUG shows debug detail; WARNING shows no line of a clean run."""
    loud = syncd(tmp_path, "db", "upgrade", SYNCD_LOG_LEVEL="debug")
    assert loud.returncode == 0, loud.stderr
    assert MIGRATION_LINE in loud.stderr and " DEBUG " in loud.stderr
    quiet = syncd(tmp_path, "db", "upgrade", SYNCD_LOG_LEVEL="WARNING")
    assert quiet.returncode == 0 and quiet.stderr == ""


@pytest.mark.parametrize(
    "args",
    [
        ("-v", "db", "upgrade"),
        ("db", "upgrade", "--verbose"),
        ("--log-level", "DEBUG", "db", "upgrade"),
        ("db", "upgrade", "--log-level=debug"),
    ],
)
def test_verbose_and_log_level_work_before_or_after_the_command(
    tmp_path: Path, args: tuple[str, ...]
) -> None:
    """`-v`, `--verbose` and `--log-level` are accepted on either side of the command name and
    win over SYNCD_LOG_LEVEL."""
    done = syncd(tmp_path, *args, SYNCD_LOG_LEVEL="ERROR")
    assert done.returncode == 0, done.stderr
    assert MIGRATION_LINE in done.stderr


def test_an_unknown_level_is_refused_naming_the_option(tmp_path: Path) -> None:
    """`--log-level LOUD` is a usage error that names the option and the levels there are."""
    done = syncd(tmp_path, "db", "upgrade", "--log-level", "LOUD")
    assert done.returncode == 2
    assert "--log-level" in done.stderr and "DEBUG" in done.stderr and "LOUD" in done.stderr


def test_a_bad_syncd_log_level_names_the_setting(tmp_path: Path) -> None:
    """SYNCD_LOG_LEVEL=LOUD is a settings problem that says which setting and what it may be."""
    done = syncd(tmp_path, "db", "upgrade", SYNCD_LOG_LEVEL="LOUD")
    assert done.returncode == 2
    assert "settings › log_level" in done.stderr and "'DEBUG'" in done.stderr


def test_json_format_writes_one_object_per_line(tmp_path: Path) -> None:
    """With SYNCD_LOG_FORMAT=json every line on stderr is a JSON object with the log's fields."""
    done = syncd(tmp_path, "-v", "db", "upgrade", SYNCD_LOG_FORMAT="json")
    assert done.returncode == 0, done.stderr
    lines = [json.loads(line) for line in done.stderr.splitlines()]
    assert any(MIGRATION_LINE in line["message"] for line in lines)
    for line in lines:
        assert {"time", "level", "logger", "message"} <= set(line)
        assert line["time"].endswith("+00:00")


def test_json_lines_carry_the_exception_text(root_logging: None) -> None:
    """An exception logged with its traceback lands in the line's `exception` field, masked."""
    stream = io.StringIO()
    logs.configure("INFO", json=True, stream=stream)
    try:
        raise ValueError("GET /1/tokens/tok-json-1/webhooks failed")
    except ValueError:
        logging.getLogger("tests.logs").error("registration failed", exc_info=True)
    line = json.loads(stream.getvalue().splitlines()[-1])
    assert line["level"] == "ERROR" and line["logger"] == "tests.logs"
    assert line["message"] == "registration failed"
    assert "Traceback" in line["exception"] and "ValueError" in line["exception"]
    assert "tok-json-1" not in line["exception"]


def test_request_libraries_speak_only_at_debug(root_logging: None) -> None:
    """At INFO httpx's per-request lines stay quiet; at DEBUG they follow the level."""
    logs.configure("INFO", stream=io.StringIO())
    assert not logging.getLogger("httpx").isEnabledFor(logging.INFO)
    assert logging.getLogger("syncd.sync").isEnabledFor(logging.INFO)
    logs.configure("DEBUG", stream=io.StringIO())
    assert logging.getLogger("httpx").isEnabledFor(logging.DEBUG)


def test_options_after_sandbox_are_its_own() -> None:
    """`syncd sandbox -v` passes `-v` on to the sandbox; `--` ends the options syncd moves."""
    assert hoist_log_options(["sandbox", "-v"]) == ["sandbox", "-v"]
    assert hoist_log_options(["sync", "acme", "--", "-v"]) == ["sync", "acme", "--", "-v"]
    assert hoist_log_options(["sync", "acme", "-v"]) == ["-v", "sync", "acme"]
