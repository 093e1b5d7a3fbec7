"""`bench.pull.SandboxProcess` reads the sandbox's banner whole: the Trello benchmarks pull the
boards it names (a banner line added above them once left them with none)."""

from __future__ import annotations

import httpx

from bench.pull import SandboxProcess


def test_sandbox_process_names_its_boards_and_answers() -> None:
    sb = SandboxProcess(0, cards=10)
    try:
        assert len(sb.board_ids) == 1
        board = httpx.get(
            f"{sb.trello_url}/boards/{sb.board_ids[0]}",
            params={"key": sb.creds.trello_key, "token": sb.creds.trello_token},
        )
        assert board.status_code == 200 and board.json()["id"] == sb.board_ids[0]
    finally:
        sb.stop()
