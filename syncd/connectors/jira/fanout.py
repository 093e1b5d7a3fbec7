"""Run requests concurrently and hand their results over as each one finishes.

`fan_out(jobs, width=n)` starts each job that `jobs` yields, keeps at most `n` of them started
but not yet consumed (so memory stays flat however many pages a pull has), and yields results
in completion order. The first failure cancels everything else and is raised.

`Ahead(source)` starts fetching the first item of an async iterator at once, so that request
overlaps whatever the caller does before it reads.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Awaitable, Callable
from typing import Any, Generic, TypeVar

T = TypeVar("T")
Job = Callable[[], Awaitable[T]]


class _End:
    def __init__(self, started: int) -> None:
        self.started = started


class _Failed:
    def __init__(self, error: BaseException) -> None:
        self.error = error


class _Runner(Generic[T]):
    def __init__(self, width: int) -> None:
        self.slots = asyncio.Semaphore(max(1, width))
        self.results: asyncio.Queue[T | _End | _Failed] = asyncio.Queue()
        self.tasks: set[asyncio.Task[Any]] = set()

    async def run(self, job: Job[T]) -> None:
        try:
            self.results.put_nowait(await job())
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            self.results.put_nowait(_Failed(exc))

    async def produce(self, jobs: AsyncIterator[Job[T]]) -> None:
        started = 0
        try:
            async for job in jobs:
                await self.slots.acquire()
                self.tasks.add(asyncio.create_task(self.run(job)))
                started += 1
        except asyncio.CancelledError:
            raise
        except BaseException as exc:  # noqa: BLE001 - handed to the consumer, which raises it
            self.results.put_nowait(_Failed(exc))
            return
        self.results.put_nowait(_End(started))


async def fan_out(jobs: AsyncIterator[Job[T]], *, width: int) -> AsyncIterator[T]:
    """Results of `jobs`, as each finishes; at most `width` in flight or waiting to be read."""
    runner: _Runner[T] = _Runner(width)
    producer = asyncio.create_task(runner.produce(jobs))
    done, expected = 0, -1
    try:
        while done != expected:
            result = await runner.results.get()
            if isinstance(result, _End):
                expected = result.started
            elif isinstance(result, _Failed):
                raise result.error
            else:
                done += 1
                runner.slots.release()
                yield result
    finally:
        pending = [producer, *runner.tasks]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)


class Ahead(Generic[T]):
    """An async iterator over `source` whose first item is already on its way."""

    def __init__(self, source: AsyncGenerator[T, None]) -> None:
        self.source = source
        self.first: asyncio.Task[T] | None = asyncio.create_task(_next(source))

    def __aiter__(self) -> Ahead[T]:
        return self

    async def __anext__(self) -> T:
        if self.first is not None:
            first, self.first = self.first, None
            return await first
        return await anext(self.source)

    async def aclose(self) -> None:
        """Stop: the first fetch cancelled if nobody read it, its failure dropped with it."""
        if self.first is not None:
            self.first.cancel()
            with contextlib.suppress(BaseException):
                await self.first
            self.first = None
        await self.source.aclose()


async def _next(source: AsyncGenerator[T, None]) -> T:
    return await anext(source)
