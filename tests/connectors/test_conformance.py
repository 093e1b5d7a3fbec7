"""The contract of `syncd.connectors.base`, checked the same way for every connector harness."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import Iterator

import pytest

from syncd.connectors.base import Connector
from syncd.errors import AuthError
from syncd.model import PullResult
from tests.connectors.harness import Fault, Harness, collect, discover, run, sample_status

FACTORIES = discover()


@pytest.fixture(params=sorted(FACTORIES))
def harness(request: pytest.FixtureRequest) -> Iterator[Harness]:
    """One harness per connector backend."""
    with FACTORIES[request.param]() as h:
        yield h


def ids(pages: list[PullResult]) -> list[str]:
    return [item.external_id for page in pages for item in page.items]


async def pull_and_close(connector: Connector, **kwargs: object) -> list[PullResult]:
    try:
        return await collect(connector, **kwargs)  # type: ignore[arg-type]
    finally:
        await connector.aclose()


def test_pull_from_nothing_brings_every_item_once(harness: Harness) -> None:
    """A first pull yields every item exactly once and puts the cursor on the last page only."""
    pages = run(pull_and_close(harness.connector()))
    got = Counter(ids(pages))
    assert set(got) == harness.item_ids()
    assert max(got.values()) == 1
    assert pages[-1].cursor is not None
    assert all(page.cursor is None for page in pages[:-1])
    assert all(page.census is None for page in pages)


def test_paging_spreads_items_over_pages(harness: Harness) -> None:
    """A page size smaller than the data gives several pages that add up to everything."""
    pages = run(pull_and_close(harness.connector(page_size=5)))
    assert len([p for p in pages if p.items]) > 1
    assert sorted(ids(pages)) == sorted(harness.item_ids())


def test_incremental_pull_brings_changed_items(harness: Harness) -> None:
    """A pull from the last cursor brings what changed since, not everything again."""

    async def scenario() -> tuple[list[PullResult], list[str]]:
        connector = harness.connector()
        try:
            first = await collect(connector)
            changed = harness.seed_change(2)
            second = await collect(connector, first[-1].cursor)
            return second, changed
        finally:
            await connector.aclose()

    second, changed = run(scenario())
    assert set(changed) <= set(ids(second))
    assert len(ids(second)) < len(harness.item_ids())
    assert second[-1].cursor is not None


def test_pull_without_changes_is_cheap(harness: Harness) -> None:
    """On a connector that pulled once, a pull with no changes costs its request budget at most."""

    async def scenario() -> int:
        connector = harness.connector()
        try:
            first = await collect(connector)
            before = harness.requests()
            await collect(connector, first[-1].cursor)
            return harness.requests() - before
        finally:
            await connector.aclose()

    assert run(scenario()) <= harness.nochange_budget


def test_census_names_every_visible_item(harness: Harness) -> None:
    """A census pull carries every visible external id on its last page."""
    pages = run(pull_and_close(harness.connector(), census=True))
    assert pages[-1].census == frozenset(harness.item_ids())


def test_bad_item_is_quarantined_and_the_rest_arrives(harness: Harness) -> None:
    """One unreadable item is quarantined with its error; every other item still arrives."""
    bad = harness.break_one_item()
    pages = run(pull_and_close(harness.connector()))
    quarantined = [q for page in pages for q in page.quarantined]
    assert [q.external_id for q in quarantined] == [bad]
    assert quarantined[0].error
    assert set(ids(pages)) == harness.item_ids() - {bad}


def test_auth_error_is_raised_and_not_retried(harness: Harness) -> None:
    """Refused credentials raise AuthError after one request."""
    before = harness.requests()
    with pytest.raises(AuthError):
        run(pull_and_close(harness.connector(bad_credentials=True)))
    assert harness.requests() - before == 1


def test_rate_limit_is_survived(harness: Harness) -> None:
    """429s with Retry-After slow a pull down (the connector waits what they ask, on its
    clock); it still brings everything."""
    harness.inject(Fault("rate_limit", times=3, retry_after=5.0))
    before, start = harness.requests(), harness.clock.monotonic()
    pages = run(pull_and_close(harness.connector()))
    assert sorted(ids(pages)) == sorted(harness.item_ids())
    assert harness.requests() - before >= 4
    assert harness.clock.monotonic() - start >= 5.0


def test_server_errors_are_retried(harness: Harness) -> None:
    """A 5xx in the middle of a pull is retried and nothing is lost."""
    harness.inject(Fault("server_error", times=2))
    pages = run(pull_and_close(harness.connector()))
    assert sorted(ids(pages)) == sorted(harness.item_ids())


def test_push_twice_changes_nothing_the_second_time(harness: Harness) -> None:
    """The same status pushed again writes nothing and leaves one status comment."""

    async def scenario() -> None:
        connector = harness.connector()
        target = harness.target()
        try:
            first = await connector.push(sample_status(), target=target, known={})
            before = harness.writes()
            second = await connector.push(sample_status(), target=target, known=first.remote)
            assert first.changed
            assert not second.changed
            assert harness.writes() == before
            assert second.remote == first.remote
        finally:
            await connector.aclose()

    run(scenario())
    assert harness.count_status_comments(harness.target()) == 1


def test_push_without_known_ids_adopts_its_comment(harness: Harness) -> None:
    """A push that lost what the last one returned finds its comment again instead of adding one."""

    async def scenario() -> None:
        connector = harness.connector()
        target = harness.target()
        try:
            first = await connector.push(sample_status(), target=target, known={})
            before = harness.writes()
            again = await connector.push(sample_status(), target=target, known={})
            assert again.remote == first.remote
            assert harness.writes() == before
        finally:
            await connector.aclose()

    run(scenario())
    assert harness.count_status_comments(harness.target()) == 1


def test_push_edits_the_comment_in_place(harness: Harness) -> None:
    """A changed status edits the same comment."""

    async def scenario() -> None:
        connector = harness.connector()
        target = harness.target()
        try:
            first = await connector.push(sample_status(), target=target, known={})
            changed = sample_status(rag="red", note="slipped")
            second = await connector.push(changed, target=target, known=first.remote)
            assert second.changed
            assert second.remote["comment_id"] == first.remote["comment_id"]
        finally:
            await connector.aclose()

    run(scenario())
    assert harness.count_status_comments(harness.target()) == 1


def test_two_pushes_at_once_leave_one_status(harness: Harness) -> None:
    """Two workers push the same target at the same moment: both find nothing and both create.
    The one that sees the other's creation keeps the oldest; one status is left, and the next
    push from either side finds it and writes nothing."""

    async def scenario() -> None:
        a, b = harness.connector(), harness.connector()
        target = harness.target()
        try:
            first, second = await asyncio.gather(
                a.push(sample_status(), target=target, known={}),
                b.push(sample_status(), target=target, known={}),
            )
            assert first.remote == second.remote  # both name the one status that is left
            before = harness.writes()
            for connector, outcome in ((a, first), (b, second)):
                again = await connector.push(sample_status(), target=target, known=outcome.remote)
                assert not again.changed
            assert harness.writes() == before
        finally:
            await a.aclose()
            await b.aclose()

    run(scenario())
    assert harness.count_status_comments(harness.target()) == 1
    assert harness.count_status_cards() == (1 if harness.name == "trello" else 0)


def test_lost_response_never_doubles_the_comment(harness: Harness) -> None:
    """A create whose answer is lost after the server applied it leaves exactly one comment."""
    harness.inject(Fault("lose_response", method="POST"))

    async def scenario() -> None:
        connector = harness.connector()
        try:
            for _ in range(3):
                await connector.push(sample_status(), target=harness.target(), known={})
        finally:
            await connector.aclose()

    run(scenario())
    assert harness.count_status_comments(harness.target()) == 1
    assert harness.count_status_cards() <= 1
