"""`python -m syncd.sandbox`: run the sandbox standalone until interrupted."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from syncd.sandbox.config import Faults, SandboxConfig
from syncd.sandbox.server import Sandbox


def parser() -> argparse.ArgumentParser:
    """The command-line options."""
    p = argparse.ArgumentParser(prog="python -m syncd.sandbox", description=__doc__)
    p.add_argument("--host", default="127.0.0.1")
    p.add_argument("--port", type=int, default=8765, help="0 picks a free port")
    p.add_argument("--issues", type=int, default=200, help="Jira issues to generate")
    p.add_argument("--cards", type=int, default=100, help="Trello cards to generate")
    p.add_argument("--boards", type=int, default=1)
    p.add_argument("--seed", type=int, default=1)
    p.add_argument("--latency-ms", type=int, default=0)
    p.add_argument("--error-rate", type=float, default=0.0)
    p.add_argument("--drop-rate", type=float, default=0.0)
    p.add_argument("--trello-limits", action="store_true", help="enforce Trello's rate limits")
    p.add_argument("--demo", action="store_true", help="the small ACME demo scenario")
    return p


def config_from(args: argparse.Namespace) -> SandboxConfig:
    """A SandboxConfig from parsed options."""
    return SandboxConfig(
        seed=args.seed,
        jira_issues=args.issues,
        trello_cards=args.cards,
        boards=args.boards,
        latency_ms=args.latency_ms,
        trello_limits=args.trello_limits,
        demo=args.demo,
        faults=Faults(error_rate=args.error_rate, drop_rate=args.drop_rate, seed=args.seed),
        host=args.host,
        port=args.port,
    )


def main(argv: Sequence[str] | None = None) -> int:
    """Start the sandbox, print where it listens, serve until Ctrl-C. Returns an exit code."""
    args = parser().parse_args(argv)
    sandbox = Sandbox(config_from(args)).start()
    creds = sandbox.creds
    print(f"sandbox listening on {sandbox.url}")
    print(f"  Jira Cloud: {sandbox.jira_cloud_url}  (basic {creds.jira_email}:{creds.jira_token})")
    print(f"  Jira DC:    {sandbox.jira_dc_url}  (bearer {creds.jira_pat})")
    print(f"  Jira OAuth: {sandbox.jira_oauth_url}  (apps: POST {sandbox.url}/_admin/oauth/apps)")
    print(f"  OAuth:      {sandbox.atlassian_auth_url}/oauth/token")
    print(
        f"  Trello:     {sandbox.trello_url}  (key={creds.trello_key} token={creds.trello_token})"
    )
    print(f"  boards:     {', '.join(sandbox.board_ids)}")
    print(f"  admin:      {sandbox.url}/_admin/stats")
    sys.stdout.flush()
    try:
        sandbox.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        sandbox.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
