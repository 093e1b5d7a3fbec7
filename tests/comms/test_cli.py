"""`syncd comms list|send|log` and `syncd report --format review-pack`, as a user runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest
from icalendar import Calendar

from syncd.comms.sink import MailSink
from syncd.db import make_engine
from syncd.migrate import upgrade
from tests.comms.conftest import ENV, NOW, write_client
from tests.reports.sample import acme, seed


@pytest.fixture
def sink() -> Iterator[MailSink]:
    with MailSink() as running:
        yield running


@pytest.fixture
def env(tmp_path: Path, sink: MailSink) -> dict[str, str]:
    write_client(tmp_path / "config")
    engine = make_engine(f"sqlite:///{tmp_path / 'syncd.db'}")
    upgrade(engine)
    seed(engine, [acme()], now=NOW)
    engine.dispose()
    base = {k: v for k, v in os.environ.items() if not k.startswith("SYNCD_")}
    return (
        base
        | ENV
        | {
            "SYNCD_CONFIG_DIR": str(tmp_path / "config"),
            "SYNCD_DATA_DIR": str(tmp_path),
            "SYNCD_SMTP_HOST": "127.0.0.1",
            "SYNCD_SMTP_PORT": str(sink.port),
            "SYNCD_SMTP_SECURITY": "none",
            "SYNCD_SMTP_PASSWORD": "",
            "SYNCD_PUBLIC_URL": "https://syncd.example",
        }
    )


def syncd(env: dict[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "syncd", *args], env=env, capture_output=True, text=True, timeout=120
    )


def test_list_shows_each_entry_and_when_it_goes_out(env: dict[str, str]) -> None:
    """Cadence entries show their next time in the client's zone; triggers say on what."""
    done = syncd(env, "comms", "list", "acme")
    assert done.returncode == 0, done.stderr
    lines = {line.split("\t")[0]: line for line in done.stdout.splitlines()}
    assert set(lines) == {"weekly", "review", "rag-slack", "rag-teams"}
    assert "next Mon" in lines["weekly"] and "CET" in lines["weekly"]
    assert "on rag_change" in lines["rag-slack"] and "never sent" in lines["rag-slack"]


def test_send_dry_run_sends_nothing_then_send_sends_once(
    env: dict[str, str], sink: MailSink
) -> None:
    """--dry-run prints the mail; send delivers it; a second send refuses; log shows it."""
    dry = syncd(env, "comms", "send", "acme", "weekly", "--dry-run")
    assert dry.returncode == 0, dry.stderr
    assert "Subject: [RED] Acme rollout: status on 2026-11-30" in dry.stdout
    assert "Attachment: acme-2026-11-30-report.pdf (application/pdf)" in dry.stdout
    assert sink.messages() == []
    sent = syncd(env, "comms", "send", "acme", "weekly")
    assert sent.returncode == 0, sent.stderr
    assert len(sink.messages()) == 1
    again = syncd(env, "comms", "send", "acme", "weekly")
    assert again.returncode == 0 and "already sent" in again.stderr
    assert len(sink.messages()) == 1
    log = syncd(env, "comms", "log", "acme")
    assert "\tweekly\t2026-11-30\tsent\temail\tAna Lima <ana@client.example>" in log.stdout


def test_report_review_pack_writes_the_pack_and_its_invitation(
    env: dict[str, str], tmp_path: Path
) -> None:
    """`syncd report acme --format review-pack --out pack.html` writes the pack and pack.ics."""
    out = tmp_path / "pack.html"
    done = syncd(env, "report", "acme", "--format", "review-pack", "--out", str(out))
    assert done.returncode == 0, done.stderr
    assert "Risk register" in out.read_text(encoding="utf-8")
    (event,) = Calendar.from_ical(out.with_suffix(".ics").read_bytes()).walk("VEVENT")
    assert "Acme rollout: project review" in str(event.get("summary"))


def _check_with(
    env: dict[str, str], tmp_path: Path, extra: str
) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "config" / "clients" / "acme.toml"
    path.write_text(path.read_text(encoding="utf-8") + extra, encoding="utf-8")
    return syncd(env, "check")


def test_check_reports_each_bad_communication_entry(env: dict[str, str], tmp_path: Path) -> None:
    """`syncd check` names the file, entry and field of each mistake, and exits 2."""
    done = _check_with(
        env,
        tmp_path,
        '[[communication]]\nid = "both"\nchannel = "email"\naudience = ["a@b.example"]\n'
        'cron = "0 9 * * mon"\ntrigger = "rag_change"\n\n'
        '[[communication]]\nid = "bad"\nchannel = "email"\naudience = ["not an address"]\n'
        'cron = "0 9 * * mon"\n\n[registers]\nrisk = { colour = "red" }\n',
    )
    assert done.returncode == 2
    err = done.stderr
    assert "acme.toml › communication[4]: Value error, give either cron" in err
    assert "acme.toml › communication[5].audience: Value error, not an e-mail address" in err
    assert "acme.toml › registers.risk.colour: Extra inputs are not permitted" in err


def test_check_reports_an_unset_webhook_variable(env: dict[str, str], tmp_path: Path) -> None:
    """A chat entry whose webhook variable is unset is named, and its value never printed."""
    extra = '[[communication]]\nid = "x"\nchannel = "slack"\nwebhook_env = "NO_SUCH_VAR"\n'
    done = _check_with(env, tmp_path, extra + 'trigger = "rag_change"\n')
    assert done.returncode == 2
    assert (
        "communication[4].webhook_env: environment variable NO_SUCH_VAR is not set" in done.stderr
    )
    assert "slack-hook" not in done.stderr and "s3cr3t" not in done.stderr
