"""The same issues pulled as a `jira` library user writes it, as a process of its own.

`JIRA.enhanced_search_issues(jql, maxResults=0, fields=..., expand="changelog")`: the library
pages through `/search/jql` 100 issues at a time, one page after another. It imports nothing of
syncd.

    python -m bench.jira_lib URL --email E --token T --jql JQL --fields a,b,c

Prints one JSON line: issues, requests, bytes.
"""

from __future__ import annotations

import argparse
import json
import sys
from typing import Any

from jira import JIRA


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.jira_lib", description=__doc__)
    parser.add_argument("url", help="the Jira site, e.g. http://127.0.0.1:8765/cloud")
    parser.add_argument("--email", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--jql", required=True)
    parser.add_argument("--fields", required=True, help="comma-separated field ids")
    args = parser.parse_args(argv)
    counted = {"issues": 0, "requests": 0, "bytes": 0}

    def count(response: Any, *_: Any, **__: Any) -> None:
        counted["requests"] += 1
        counted["bytes"] += len(response.content)

    client = JIRA(server=args.url, basic_auth=(args.email, args.token), max_retries=3,
                  options={"check_update": False})  # fmt: skip
    client._session.hooks["response"].append(count)
    found = client.enhanced_search_issues(
        args.jql, maxResults=0, fields=args.fields, expand="changelog"
    )
    counted["issues"] = len(found or [])
    print(json.dumps(counted))
    return 0


if __name__ == "__main__":
    sys.exit(main())
