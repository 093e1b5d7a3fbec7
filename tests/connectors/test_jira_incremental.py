"""Incremental Jira pulls through `sync.pull`, against the sandbox over loopback.

Issues that change while a pull pages through them are never lost: the cursor moves only as far
as the newest change of one answer (the first page, newest first), so a change that lands behind
an issue already fetched is read by the next pull. A transport between syncd and the sandbox
makes the changes at a chosen moment of the pull, so the race is the same on every run.

A pull with nothing new costs one request, even when the issue it sees again (the cursor is
inclusive) has more worklogs than a search embeds."""

from __future__ import annotations

import asyncio
import copy
import json
from collections.abc import Callable
from datetime import datetime, timedelta
from pathlib import Path

import httpx
import pytest
from sqlalchemy.engine import Engine

from syncd import store
from syncd.clients import Client, load_client
from syncd.connectors.jira import connector as jira_connector
from syncd.db import Cursor
from syncd.sandbox import Sandbox, SandboxConfig
from syncd.sandbox.data import log_work
from syncd.sandbox.state import Issue
from syncd.sync import build_connector, pull
from tests.connectors.harness_jira import jira_secrets
from tests.connectors.test_jira_worklogs import sandbox_logs

CLIENT = """\
name = "Acme"

[[connectors]]
kind = "jira"
id = "acme-jira"
url = "{url}"
deployment = "{deployment}"
{email}
token_env = "T"
jql = "project = ACME"
page_size = 50
concurrency = {concurrency}
census_every = 1000
"""


def client_of(sb: Sandbox, tmp_path: Path, *, cloud: bool, concurrency: int = 1) -> Client:
    """A client with one Jira connector on the sandbox's Cloud or Data Center flavour, paging
    50 issues at a time over one connection (unless told)."""
    body = CLIENT.format(
        concurrency=concurrency,
        url=sb.jira_cloud_url if cloud else sb.jira_dc_url,
        deployment="cloud" if cloud else "datacenter",
        email=f'email = "{sb.creds.jira_email}"' if cloud else "",
    )
    (tmp_path / "acme.toml").write_text(body)
    token = jira_secrets(sb, cloud=cloud).value("token")
    assert token is not None
    return load_client(tmp_path, "acme", env={"T": token})


class Trigger(httpx.AsyncBaseTransport):
    """Real HTTP to the sandbox; `when(request)` picks the answer after which `then(sent)`
    runs, once, given the issue ids of every answer so far."""

    def __init__(self) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.answered: list[list[str]] = []  # issue ids of each answer, in arrival order
        self.asked: set[str] = set()  # issue ids named in requests (bulk fetches)
        self.when: Callable[[httpx.Request], bool] = lambda _: False
        self.then: Callable[[list[list[str]], set[str]], None] | None = None
        self.paths: list[str] = []

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        if request.content and request.url.path.endswith("/bulkfetch"):
            self.asked.update(json.loads(request.content).get("issueIdsOrKeys") or [])
        response = await self.inner.handle_async_request(request)
        body = await response.aread()
        self.paths.append(f"{request.method} {request.url.path}")
        if details(request):
            issues = json.loads(body).get("issues") or []
            self.answered.append([str(i["id"]) for i in issues])
        if self.then is not None and self.when(request):
            then, self.then = self.then, None
            then(self.answered, self.asked)
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def details(request: httpx.Request) -> bool:
    """A search or bulk fetch asking for more than ids: an answer with issues' details."""
    path = request.url.path
    if path.endswith("/issue/bulkfetch"):
        return True
    if path.endswith("/search/jql"):
        return json.loads(request.content).get("fields") != ["id"]
    return path.endswith("/search") and request.url.params.get("fields") != "id"


def pull_once(engine: Engine, client: Client, transport: httpx.AsyncBaseTransport) -> None:
    """One `sync.pull` of the connector, as the pull job runs it."""

    async def go() -> None:
        conn = build_connector(client, "acme-jira", transport=transport, engine=engine)
        try:
            await pull(engine, client, "acme-jira", connector=conn)
        finally:
            await conn.aclose()

    asyncio.run(go())


def heavy(sb: Sandbox, issue: Issue, count: int = 25) -> None:
    """Give `issue` more worklogs than a search embeds (20)."""
    for n in range(count):
        began = issue.created + timedelta(hours=n + 1)
        log_work(sb.state, issue, 1800, began, author=issue.reporter, when=issue.created)


def millis(moment: datetime) -> datetime:
    return moment.replace(microsecond=moment.microsecond // 1000 * 1000)


def stale(engine: Engine, sb: Sandbox) -> list[str]:
    """Issues the store holds older than the sandbox (or not at all), or with other worklogs."""
    items = {i.external_id: i for i in store.load_items(engine, "acme")}
    out = []
    for issue in sb.state.issues.values():
        if issue.project != "ACME":
            continue
        have = items.get(str(issue.id))
        if have is None or have.updated != millis(issue.updated):
            out.append(f"{issue.key}: {getattr(have, 'updated', None)} < {issue.updated}")
        elif list(have.worklogs) != sandbox_logs(issue):
            out.append(f"{issue.key}: worklogs {len(have.worklogs)} != {len(issue.worklogs)}")
    return out


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "dc"])
def test_an_issue_changed_behind_the_pull_is_read_by_the_next_one(
    cloud: bool, sqlite_engine: Engine, tmp_path: Path
) -> None:
    """200 issues changed since the cursor, paged 50 at a time. Right after the first page of
    details arrives, an issue of that page with 25 worklogs gets one more worklog (a change a
    minute later; its worklogs are not paged yet) and an issue not fetched yet changes an hour
    later. The racing pull stores the latter; the next pull brings the former, worklogs and
    all: every issue ends up stored at its newest `updated`."""
    with Sandbox(SandboxConfig(seed=5, projects=("ACME",), jira_issues=300)) as sb:
        state = sb.state
        ordered = sorted(state.issues.values(), key=lambda i: i.id)
        with state.lock:
            for issue in ordered[::10]:
                heavy(sb, issue)
            state.touch()
        client = client_of(sb, tmp_path, cloud=cloud)
        transport = Trigger()
        pull_once(sqlite_engine, client, transport)
        assert stale(sqlite_engine, sb) == []
        with state.lock:  # 200 changes, the heavy issues among them
            for issue in ordered[:200]:
                issue.summary += " (edited)"
                issue.updated = state.clock.tick()
            state.touch()
        by_id = {str(i.id): i for i in ordered}
        raced: list[str] = []

        def race(answered: list[list[str]], asked: set[str]) -> None:
            fetched = {i for ids in answered for i in ids}
            early = next(
                by_id[i]
                for i in answered[-1]
                if i not in answered[0] and len(by_id[i].worklogs) > 20
            )
            waiting = [i for i in ordered[:200] if str(i.id) not in fetched | asked]
            late = max(waiting, key=lambda i: i.number)  # on the last page in key order too
            with state.lock:
                now = state.clock.now()
                log_work(state, early, 600, now, author=early.reporter, when=now)
                early.updated = now + timedelta(minutes=1)
                late.summary += " (late)"
                late.updated = now + timedelta(hours=1)
                state.clock.advance(timedelta(hours=1, minutes=1))
                state.touch()
            raced.extend([early.key, late.key])

        transport.answered.clear()
        transport.asked.clear()
        transport.when = lambda r: len(transport.answered) == 2  # the dating page, then one more
        transport.then = race
        pull_once(sqlite_engine, client, transport)
        assert len(raced) == 2, transport.paths
        pull_once(sqlite_engine, client, transport)
        assert stale(sqlite_engine, sb) == []


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "dc"])
def test_an_unchanged_cycle_is_one_request_even_with_many_worklogs(
    cloud: bool, sqlite_engine: Engine, tmp_path: Path
) -> None:
    """The newest issue has more worklogs than a search embeds (20). The cycle after a pull,
    with nothing changed, sends one search: the issue, seen again unchanged, has its worklogs
    left alone, in the store too. Once it gets one more worklog, the next pull pages them
    (one more request) and stores them all."""
    with Sandbox(SandboxConfig(seed=5, projects=("ACME",), jira_issues=60)) as sb:
        state = sb.state
        newest = max(state.issues.values(), key=lambda i: i.updated)
        with state.lock:
            heavy(sb, newest)
            newest.updated = state.clock.tick()
            state.touch()
        client = client_of(sb, tmp_path, cloud=cloud)
        transport = Trigger()
        pull_once(sqlite_engine, client, transport)
        assert any(p.endswith(f"/issue/{newest.id}/worklog") for p in transport.paths)
        assert stale(sqlite_engine, sb) == []
        transport.paths.clear()
        pull_once(sqlite_engine, client, transport)
        assert [p.rsplit("/", 1)[-1] for p in transport.paths] == ["jql" if cloud else "search"]
        assert stale(sqlite_engine, sb) == []
        before = len(newest.worklogs)
        with state.lock:
            now = state.clock.tick()
            log_work(state, newest, 600, now, author=newest.reporter, when=now)
            state.touch()
        transport.paths.clear()
        pull_once(sqlite_engine, client, transport)
        assert len(transport.paths) == 2 and transport.paths[-1].endswith("/worklog")
        assert len(newest.worklogs) == before + 1 and stale(sqlite_engine, sb) == []


class Reorder(httpx.AsyncBaseTransport):
    """Real HTTP to the sandbox, except that the Data Center page at offset 50 (in key order)
    waits until the page at 100 was answered and `then` ran: pages answered out of order, with
    a change between them."""

    def __init__(self, then: Callable[[], None]) -> None:
        self.inner = httpx.AsyncHTTPTransport()
        self.then: Callable[[], None] | None = then
        self.answered = asyncio.Event()

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        params = request.url.params
        by_key = params.get("jql", "").endswith("key ASC")
        start = int(params.get("startAt", "-1")) if by_key else -1
        if start == 50 and self.then is not None:
            await self.answered.wait()
        response = await self.inner.handle_async_request(request)
        await response.aread()
        if start == 100 and self.then is not None:
            then, self.then = self.then, None
            then()
            self.answered.set()
        return response

    async def aclose(self) -> None:
        await self.inner.aclose()


def test_an_issue_entering_the_results_while_data_center_pages_keeps_the_cursor(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """Data Center pages by offset. 200 issues changed since the cursor; while the page at 100
    is answered before the page at 50, ACME-1 changes and enters the results, moving every
    offset on by one: the page at 50 then misses the issue that was 100th. The pull sees its
    results grew and keeps the cursor, so the next pull reads that issue: none is left stale."""
    with Sandbox(SandboxConfig(seed=5, projects=("ACME",), jira_issues=300)) as sb:
        state = sb.state
        ordered = sorted(state.issues.values(), key=lambda i: i.number)
        client = client_of(sb, tmp_path, cloud=False, concurrency=2)
        pull_once(sqlite_engine, client, httpx.AsyncHTTPTransport())
        with state.lock:  # 200 changes over 1,000 s, none to ACME-1
            for issue in ordered[100:300]:
                issue.summary += " (edited)"
                issue.updated = state.clock.tick(5)
            state.touch()

        def enter() -> None:
            with state.lock:
                ordered[0].summary += " (edited)"
                ordered[0].updated = state.clock.tick()
                state.touch()

        transport = Reorder(enter)
        pull_once(sqlite_engine, client, transport)
        assert transport.then is None  # the pages came out of order, with the change between
        pull_once(sqlite_engine, client, httpx.AsyncHTTPTransport())
        assert stale(sqlite_engine, sb) == []


def test_a_process_new_to_the_site_pulls_an_unchanged_one_in_one_request(
    sqlite_engine: Engine, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """What a pull learned of the site (field catalogue, time zone) is kept with the cursor: a
    pull in a process that never read the site sends one search when nothing changed, however
    the jobs fall on processes. Facts read more than an hour ago are read again."""
    with Sandbox(SandboxConfig(seed=5, projects=("ACME",), jira_issues=30)) as sb:
        client = client_of(sb, tmp_path, cloud=True)
        transport = Trigger()
        pull_once(sqlite_engine, client, transport)
        monkeypatch.setattr(jira_connector, "_META_CACHE", {})  # as in another process
        transport.paths.clear()
        pull_once(sqlite_engine, client, transport)
        assert transport.paths == ["POST /cloud/rest/api/3/search/jql"]

        with store.sessions(sqlite_engine).begin() as session:
            cursor = session.get(Cursor, ("acme", "acme-jira"))
            assert cursor is not None
            state = copy.deepcopy(cursor.state)
            read = datetime.fromisoformat(state["site"]["meta"]["read_at"])
            state["site"]["meta"]["read_at"] = (read - timedelta(hours=2)).isoformat()
            cursor.state = state
        monkeypatch.setattr(jira_connector, "_META_CACHE", {})
        transport.paths.clear()
        pull_once(sqlite_engine, client, transport)
        assert [p.rsplit("/", 1)[-1] for p in transport.paths] == ["myself", "field", "jql"]


@pytest.mark.parametrize("cloud", [True, False], ids=["cloud", "dc"])
def test_issues_held_back_are_completed_a_few_at_a_time(
    cloud: bool, sqlite_engine: Engine, tmp_path: Path
) -> None:
    """60 of 300 issues have more worklogs than a search embeds. Their worklogs are paged as
    they accumulate (`HOLD` at a time), between the pages of details, not all at the end of
    the pull (where they grew its memory with its size); each is stored whole."""
    with Sandbox(SandboxConfig(seed=5, projects=("ACME",), jira_issues=300)) as sb:
        state = sb.state
        with state.lock:
            for issue in sorted(state.issues.values(), key=lambda i: i.id)[::5]:
                heavy(sb, issue)
            state.touch()
        transport = Trigger()
        pull_once(sqlite_engine, client_of(sb, tmp_path, cloud=cloud), transport)
        pages = [n for n, p in enumerate(transport.paths) if p.endswith(("/bulkfetch", "/search"))]
        logs = [n for n, p in enumerate(transport.paths) if p.endswith("/worklog")]
        assert len(logs) >= 60 and logs[0] < pages[-1]
        assert stale(sqlite_engine, sb) == []


def test_a_first_pull_into_an_empty_store_takes_no_census(
    sqlite_engine: Engine, tmp_path: Path
) -> None:
    """A census can only mark stored items gone: a first pull into an empty store takes none
    (nor keeps every id it sees). Once items are stored, a pull from no cursor takes one, and
    an issue that left the results is marked deleted."""
    with Sandbox(SandboxConfig(seed=5, projects=("ACME",), jira_issues=150)) as sb:
        client = client_of(sb, tmp_path, cloud=True)

        async def go() -> bool:
            conn = build_connector(client, "acme-jira", engine=sqlite_engine)
            try:
                return (await pull(sqlite_engine, client, "acme-jira", connector=conn)).census
            finally:
                await conn.aclose()

        assert asyncio.run(go()) is False
        with sb.state.lock:  # an issue with no parent and no sub-task leaves
            key = next(
                k
                for k, i in sorted(sb.state.issues.items())
                if i.parent is None and not sb.state.child_keys.get(k)
            )
            gone = sb.state.issues.pop(key)
            sb.state.touch()
        with store.sessions(sqlite_engine).begin() as session:
            session.delete(session.get(Cursor, ("acme", "acme-jira")))
        assert asyncio.run(go()) is True
    deleted = {i.external_id for i in store.load_items(sqlite_engine, "acme", include_deleted=True)
               if i.deleted}  # fmt: skip
    assert deleted == {str(gone.id)}
