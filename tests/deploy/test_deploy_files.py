"""`deploy/`: the compose file, the systemd units, the Dockerfile and the env example name only
real syncd commands and settings, and the env example and README list every setting."""

from __future__ import annotations

import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import typer
from sqlalchemy.engine import Engine

from syncd import cli
from syncd.settings import Settings

REPO = Path(__file__).resolve().parents[2]
DEPLOY = REPO / "deploy"
UNITS = sorted((DEPLOY / "systemd").glob("*.service"))
SETTINGS = {f"SYNCD_{name.upper()}" for name in Settings.model_fields}
INSTALLED = "/opt/syncd/venv/bin/syncd"  # where the units expect syncd (docs/operations.md)


def syncd_command(argv: list[str]) -> None:
    """Parse `argv` (`syncd …`) as the CLI would, without running it: an AssertionError when it
    names no command, click's usage error when the command lacks an option."""
    assert argv[0] == "syncd", argv
    command: Any = typer.main.get_command(cli.app)
    name, args = "syncd", argv[1:]
    while hasattr(command, "list_commands"):  # a group: typer's own click, so no isinstance
        assert args, f"{argv}: a group, not a command"
        found = command.get_command(command.make_context(name, [], resilient_parsing=True), args[0])
        assert found is not None, f"{argv}: no command {args[0]!r}"
        command, name, args = found, args[0], args[1:]
    command.make_context(name, list(args))


def compose() -> dict[str, Any]:
    yaml = pytest.importorskip("yaml")
    data: dict[str, Any] = yaml.safe_load((DEPLOY / "compose.yaml").read_text())
    return data


def env_names(text: str) -> set[str]:
    """SYNCD_* names assigned in an env file, commented-out assignments included."""
    return set(re.findall(r"^#?\s*(SYNCD_[A-Z0-9_]+)=", text, re.MULTILINE))


def test_the_command_check_refuses_what_the_cli_refuses() -> None:
    """The check below is real: an unknown command or option fails it."""
    syncd_command(["syncd", "worker", "--threads", "4"])
    with pytest.raises(AssertionError):
        syncd_command(["syncd", "wrker"])
    with pytest.raises(Exception, match="No such option: --workers"):
        syncd_command(["syncd", "run", "--workers", "4"])


def test_every_compose_service_built_from_syncd_runs_a_real_command() -> None:
    """Services on the syncd image run `syncd run` and `syncd worker` as the CLI accepts them,
    with settings syncd has."""
    services = compose()["services"]
    ours = {name: s for name, s in services.items() if s.get("image") == "syncd:local"}
    assert {tuple(s["command"][:2]) for s in ours.values()} == {
        ("syncd", "run"),
        ("syncd", "worker"),
    }
    for service in ours.values():
        syncd_command(service["command"])
        assert set(service["environment"]) <= SETTINGS
        assert service["env_file"] == "syncd.env"


def test_compose_starts_workers_after_healthy_services() -> None:
    """Every `service_healthy` condition names a service with a healthcheck; the daemon and the
    workers wait for PostgreSQL and RabbitMQ; workers are replicated."""
    services = compose()["services"]
    assert {"postgres", "rabbitmq", "run", "worker"} <= set(services)
    for name, service in services.items():
        for needed, how in service.get("depends_on", {}).items():
            assert needed in services, (name, needed)
            if how["condition"] == "service_healthy":
                assert "healthcheck" in services[needed], needed
    for name in ("run", "worker"):
        conditions = services[name]["depends_on"]
        assert conditions["postgres"]["condition"] == "service_healthy"
        assert conditions["rabbitmq"]["condition"] == "service_healthy"
    assert "healthcheck" in services["run"]
    assert "replicas" in services["worker"]["deploy"]


def test_the_env_example_lists_every_setting_and_only_settings() -> None:
    """deploy/syncd.env.example names each SYNCD_* setting once, and nothing else SYNCD_*."""
    names = env_names((DEPLOY / "syncd.env.example").read_text())
    assert names - SETTINGS == set(), "not settings"
    assert SETTINGS - names == set(), "missing from the example"


def test_the_readme_settings_table_lists_every_setting() -> None:
    """README's Configuration table has a row for each setting, and none for a setting that is
    not there."""
    rows = set(re.findall(r"^\| `(SYNCD_[A-Z0-9_]+)` \|", (REPO / "README.md").read_text(), re.M))
    assert rows == SETTINGS


def unit_settings(path: Path) -> dict[str, list[str]]:
    found: dict[str, list[str]] = {}
    for line in path.read_text().splitlines():
        if "=" in line and not line.startswith(("#", "[")):
            key, _, value = line.partition("=")
            found.setdefault(key.strip(), []).append(value.strip())
    return found


@pytest.mark.parametrize("unit", UNITS, ids=[u.name for u in UNITS])
def test_each_unit_runs_a_real_command_hardened(unit: Path) -> None:
    """ExecStart is a syncd command the CLI accepts; the unit drops to a user, makes the system
    read-only but the data directory, and keeps its /tmp and privileges to itself."""
    keys = unit_settings(unit)
    argv = shlex.split(keys["ExecStart"][0])
    assert argv[0] == INSTALLED
    syncd_command(["syncd", *argv[1:]])
    assert keys["User"] == ["syncd"]
    assert keys["ProtectSystem"] == ["strict"]
    assert keys["ReadWritePaths"] == ["/var/lib/syncd"]
    assert keys["NoNewPrivileges"] == ["yes"] and keys["PrivateTmp"] == ["yes"]
    assert keys["EnvironmentFile"] == ["/etc/syncd/syncd.env"]


def test_systemd_accepts_the_units(tmp_path: Path) -> None:
    """`systemd-analyze verify` finds nothing to say about either unit (syncd taken from this
    virtualenv instead of /opt/syncd)."""
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed here")
    here = str(Path(sys.executable).with_name("syncd"))
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED, here))
    done = subprocess.run(
        [analyze, "verify", *(str(tmp_path / u.name) for u in UNITS)],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,
    )
    assert (done.returncode, done.stderr) == (0, "")


def test_the_image_runs_syncd_as_a_user_of_its_own() -> None:
    """The Dockerfile switches to a non-root user and its default command is `syncd run`."""
    lines = (DEPLOY / "Dockerfile").read_text().splitlines()
    users = [line.split()[1] for line in lines if line.startswith("USER ")]
    assert users and users[-1].split(":")[0] not in ("root", "0")
    cmd = next(line for line in lines if line.startswith("CMD "))
    syncd_command(__import__("json").loads(cmd.removeprefix("CMD ")))


def exposed_names(engine: Engine) -> set[str]:
    """The metric names /metrics writes: the process's counters (with `_total`) and histograms
    (with `_bucket`, `_sum`, `_count`), and the gauges read from the store."""
    from prometheus_client import REGISTRY

    from syncd import metrics  # noqa: F401 -- registers the counters and histograms
    from syncd.web.metrics import StoreCollector

    names = set()
    for family in REGISTRY.collect():
        if family.type == "counter":
            names.add(f"{family.name}_total")
        elif family.type == "histogram":
            names |= {
                family.name,
                *(f"{family.name}{end}" for end in ("_bucket", "_sum", "_count")),
            }
    return names | {family.name for family in StoreCollector(engine).collect()}


def test_the_operations_guide_names_real_metrics_and_files(sqlite_engine: Engine) -> None:
    """Every `syncd_*` metric docs/operations.md tells operators to watch is one /metrics
    serves, and every deploy/ file it names exists."""
    guide = (REPO / "docs" / "operations.md").read_text()
    named = set(re.findall(r"\b(syncd_[a-z_]+)\b", guide))
    assert named, "the guide names no metric"
    assert named - exposed_names(sqlite_engine) == set()
    for path in re.findall(r"`(deploy/[\w./@-]+)`", guide):
        assert (REPO / path).exists(), path
