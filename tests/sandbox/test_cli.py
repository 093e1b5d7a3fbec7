"""The standalone command and the demo scenario."""

from __future__ import annotations

from syncd.sandbox import Sandbox, SandboxConfig
from syncd.sandbox.__main__ import config_from, parser


def test_cli_options_become_config() -> None:
    """Every command-line option reaches the SandboxConfig."""
    args = parser().parse_args(
        [
            "--port",
            "0",
            "--issues",
            "12",
            "--cards",
            "3",
            "--seed",
            "9",
            "--latency-ms",
            "5",
            "--error-rate",
            "0.1",
            "--drop-rate",
            "0.2",
            "--trello-limits",
            "--demo",
        ]
    )
    config = config_from(args)
    assert (config.jira_issues, config.trello_cards, config.seed, config.latency_ms) == (
        12,
        3,
        9,
        5,
    )
    assert (config.faults.error_rate, config.faults.drop_rate) == (0.1, 0.2)
    assert config.trello_limits and config.demo and config.port == 0


def test_demo_has_wbs_coded_epics_and_labels() -> None:
    """The demo has ACME epics titled with WBS codes and a board labelled with them."""
    sb = Sandbox(SandboxConfig(demo=True))
    epics = [i.summary for i in sb.state.issues.values() if i.issuetype == "Epic"]
    assert epics == [
        "1.1 Discovery",
        "1.2 Design",
        "1.3 Data migration",
        "2.1 Build API",
        "2.2 Build UI",
    ]
    assert list(sb.state.projects) == ["ACME"]
    labels = {sb.state.labels[lb].name for lb in sb.state.boards[sb.board_ids[0]].labels}
    assert {"1.1", "1.2", "1.3", "2.1", "2.2", "3"} <= labels
