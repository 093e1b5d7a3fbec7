"""The tests' port allocator: no port twice, none the kernel could hand to another socket, none
another test process holds, none something listens on."""

from __future__ import annotations

import bisect
import json
import socket
import subprocess
import sys
from pathlib import Path

from tests.ports import BLOCK, FLOOR, TOP, Allocator, blocks, ephemeral_range, free_port

REPO = Path(__file__).resolve().parents[1]


def test_a_process_never_gets_the_same_port_twice_nor_an_ephemeral_one() -> None:
    """Over several blocks' worth of ports: all different, all outside the kernel's ephemeral
    range and above the registered services' ports."""
    low, high = ephemeral_range()
    ports = [free_port() for _ in range(3 * BLOCK + 7)]
    assert len(set(ports)) == len(ports)
    assert all(FLOOR <= p <= TOP and not low <= p <= high for p in ports), ports


def test_another_process_gets_none_of_this_processes_ports() -> None:
    """A second process taking ports at the same time (another xdist worker) never gets one of
    the blocks this one holds."""
    mine = {free_port() for _ in range(BLOCK + 1)}  # at least two blocks held
    code = "import json; from tests.ports import free_port; print(json.dumps([free_port() for _ in range(120)]))"  # noqa: E501
    out = subprocess.run(
        [sys.executable, "-c", code], cwd=REPO, capture_output=True, text=True, check=True
    )
    theirs = set(json.loads(out.stdout))
    assert len(theirs) == 120
    starts = sorted(blocks())

    def block_of(port: int) -> int:
        return starts[bisect.bisect_right(starts, port) - 1]

    assert not {block_of(p) for p in theirs} & {block_of(p) for p in mine}
    assert not theirs & mine


def test_a_port_something_listens_on_is_skipped(tmp_path: Path) -> None:
    """A port already taken (a database, a broker, a stray server) is never handed out."""
    taken, spare = free_port(), free_port()
    allocator = Allocator(tmp_path)
    with socket.socket() as server:
        server.bind(("127.0.0.1", taken))
        server.listen()
        allocator.pending = iter([taken, spare])
        assert allocator.port() == spare


def test_a_released_block_is_claimed_again_and_a_held_one_is_not(tmp_path: Path) -> None:
    """The claim is the lock: while one allocator holds a block a second passes it over, and
    after the first releases it the second can claim it."""
    first, second = Allocator(tmp_path), Allocator(tmp_path)
    block = first.claim()
    start = next(block)
    other = second.claim()
    assert next(other) != start
    first.release()
    second.release()
    assert next(Allocator(tmp_path).claim()) == start
