"""A local Jira (Cloud and Data Center) and Trello on loopback, for tests, the demo and benchmarks.

It imports nothing from the rest of syncd: it knows only what a real Jira or Trello would.

    from syncd.sandbox import Sandbox, SandboxConfig, Faults
    with Sandbox(SandboxConfig(seed=1, jira_issues=200)) as sb:
        sb.jira_cloud_url, sb.jira_dc_url, sb.trello_url, sb.creds
"""

from syncd.sandbox.config import Creds, Faults, SandboxConfig
from syncd.sandbox.server import Sandbox

__all__ = ["Creds", "Faults", "Sandbox", "SandboxConfig"]
