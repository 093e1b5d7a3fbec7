"""The floor for fetching: a minimal concurrent client that only downloads and parses issues.

It asks the same Jira Cloud API the same way syncd's first pull does (ids listed in pages of
5,000 through `POST /search/jql`, details through `POST /issue/bulkfetch` in batches of 100,
`expand=changelog`, the same fields) with httpx + asyncio at the same concurrency, and decodes
every answer with orjson; it stores nothing, normalizes nothing and retries nothing. It imports
nothing of syncd, so as a process it also shows what a bare start-up costs.

    python -m bench.floor URL --email E --token T --jql JQL --fields a,b,c [--concurrency 10]

Prints one JSON line: issues, requests, bytes.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

import httpx
import orjson


async def fetch_all(args: argparse.Namespace) -> dict[str, int]:
    api = f"{args.url.rstrip('/')}/rest/api/3"
    fields = args.fields.split(",")
    counted = {"issues": 0, "requests": 0, "bytes": 0}
    limit = asyncio.Semaphore(args.concurrency)
    auth = httpx.BasicAuth(args.email, args.token)
    pool = httpx.Limits(max_connections=args.concurrency)
    async with httpx.AsyncClient(auth=auth, limits=pool, timeout=60) as client:

        async def post(url: str, body: dict[str, object]) -> dict[str, object]:
            async with limit:
                answer = await client.post(url, json=body)
            answer.raise_for_status()
            counted["requests"] += 1
            counted["bytes"] += len(answer.content)
            data: dict[str, object] = orjson.loads(answer.content)
            return data

        async def details(ids: list[str]) -> None:
            body = {"issueIdsOrKeys": ids, "fields": fields, "expand": ["changelog"]}
            data = await post(f"{api}/issue/bulkfetch", body)
            counted["issues"] += len(data.get("issues") or [])  # type: ignore[arg-type]

        tasks: list[asyncio.Task[None]] = []
        token: object = None
        while True:
            body: dict[str, object] = {"jql": args.jql, "fields": ["id"], "maxResults": 5000}
            if token:
                body["nextPageToken"] = token
            page = await post(f"{api}/search/jql", body)
            ids = [str(issue["id"]) for issue in page.get("issues") or []]  # type: ignore[attr-defined]
            for start in range(0, len(ids), 100):
                tasks.append(asyncio.create_task(details(ids[start : start + 100])))
            token = page.get("nextPageToken")
            if page.get("isLast", not token) or not token:
                break
        await asyncio.gather(*tasks)
    return counted


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("url", help="the Jira site, e.g. http://127.0.0.1:8765/cloud")
    parser.add_argument("--email", required=True)
    parser.add_argument("--token", required=True)
    parser.add_argument("--jql", required=True)
    parser.add_argument("--fields", required=True, help="comma-separated field ids")
    parser.add_argument("--concurrency", type=int, default=10)
    args = parser.parse_args(argv)
    print(json.dumps(asyncio.run(fetch_all(args))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
