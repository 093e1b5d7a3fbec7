"""`syncd dlq`: every dead letter with its id, then the failures they make, as the dashboard
shows them; a replay of a target's dead pushes queues its newest status once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from pathlib import Path

from syncd.db import make_engine
from syncd.migrate import upgrade
from tests.foundation.test_cli_output import syncd
from tests.web.conftest import dead_job, job_state


def test_dlq_lists_each_dead_letter_and_a_targets_pushes_as_one_failure(tmp_path: Path) -> None:
    """Per job (the ids to act on, each error), then one line for the target whose two pushes
    died, naming the id that replays it; replaying the older id queues the newest status and
    sets the older aside, and says so."""
    (tmp_path / "config" / "clients").mkdir(parents=True)
    engine = make_engine(f"sqlite:///{tmp_path / 'data' / 'syncd.db'}")
    start = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
    try:
        upgrade(engine)
        older, newest = (
            dead_job(engine, "initech", f"NotFoundError: INI-99 ({n})", kind="push",
                     target="initech-jira:INI-99", at=start + timedelta(hours=n))
            for n in (0, 1)
        )  # fmt: skip
        pull = dead_job(engine, "initech", "AuthError: 401", target="initech-jira")
        listed = syncd("dlq", "list", root=tmp_path)
        assert listed.returncode == 0, listed.stderr
        lines = listed.stdout.splitlines()
        assert [line.split()[0] for line in lines[:3]] == [str(pull), str(newest), str(older)]
        assert lines[1].split()[1:4] == ["push", "initech", "initech-jira:INI-99"]
        assert lines[3] == "3 dead letter(s), 2 failure(s)"
        assert [line.split() for line in lines[4:]] == [
            (
                "initech push to initech-jira:INI-99: 2 dead letters, 2026-12-04 09:00 to"
                f" 2026-12-04 10:00; `syncd dlq replay {newest}` sends the newest once and sets"
                " the others aside"
            ).split()
        ]
        replayed = syncd("dlq", "replay", str(older), root=tmp_path)
        assert replayed.returncode == 0, replayed.stderr
        assert (
            replayed.stdout.split()
            == (
                f"dead letter {older} replayed: its target's newest push, job {newest}, is queued,"
                " 1 older push(es) of its target set aside"
            ).split()
        )
        assert (job_state(engine, newest), job_state(engine, older)) == ("pending", "superseded")
        assert job_state(engine, pull) == "dead"
    finally:
        engine.dispose()
