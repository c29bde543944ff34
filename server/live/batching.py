"""Many callers' questions to the database, answered a batch at a time, with few at once.

When a crowd of clients reconnects (an instance died, a deploy), each
subscription asks the database the same kinds of things: may this user watch
this campaign, where is this channel, what did this client miss. Asked one by
one they queue on the connection pool, each holding a pooled connection for
its own round trip. A :class:`Batcher` gathers what is asked within a few
milliseconds, answers it with one call (one query for many keys), and runs at
most ``concurrency`` such calls at once: while they run, new questions gather
into the next batch instead of waiting on the pool.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Mapping
from typing import Generic, TypeVar

__all__ = ["Batcher"]

K = TypeVar("K")
V = TypeVar("V")


class Batcher(Generic[K, V]):
    """``await get(key)``: the value ``run`` gives for ``key``, asked together with other keys.

    ``run`` gets at most ``max_batch`` distinct keys and must return a value
    for each; if it raises, every caller of that batch gets the error.
    """

    def __init__(
        self,
        run: Callable[[list[K]], Awaitable[Mapping[K, V]]],
        *,
        window: float = 0.005,
        max_batch: int = 100,
        concurrency: int = 2,
    ) -> None:
        self._run = run
        self.window = window
        self.max_batch = max_batch
        self._slots = asyncio.Semaphore(concurrency)
        self._waiting: dict[K, list[asyncio.Future[V]]] = {}
        self._gathering: asyncio.Task[None] | None = None
        self._running: set[asyncio.Task[None]] = set()

    async def get(self, key: K) -> V:
        future: asyncio.Future[V] = asyncio.get_running_loop().create_future()
        self._waiting.setdefault(key, []).append(future)
        if self._gathering is None:
            self._gathering = asyncio.create_task(self._gather(), name="live-batch")
        return await future

    async def close(self) -> None:
        """Cancel the batches under way; their callers get ``CancelledError``."""
        tasks = [t for t in (self._gathering, *self._running) if t is not None]
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        for futures in self._waiting.values():
            for future in futures:
                future.cancel()
        self._waiting.clear()

    async def _gather(self) -> None:
        try:
            while self._waiting:
                await asyncio.sleep(self.window)
                await self._slots.acquire()
                keys = list(self._waiting)[: self.max_batch]
                batch = {key: self._waiting.pop(key) for key in keys}
                task = asyncio.create_task(self._answer(batch), name="live-batch-query")
                self._running.add(task)
                task.add_done_callback(self._running.discard)
        finally:
            self._gathering = None

    async def _answer(self, batch: dict[K, list[asyncio.Future[V]]]) -> None:
        try:
            answers = await self._run(list(batch))
        except Exception as exc:
            for futures in batch.values():
                for future in futures:
                    if not future.done():
                        future.set_exception(exc)
            return
        except BaseException:
            for futures in batch.values():
                for future in futures:
                    future.cancel()
            raise
        finally:
            self._slots.release()
        for key, futures in batch.items():
            for future in futures:
                if not future.done():
                    future.set_result(answers[key])
