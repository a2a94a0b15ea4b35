"""Batched trial writes: one transaction per batch, run in a thread off the event loop.

A trial lives only in memory until its batch is flushed, so a crash loses at most one
batch; resume then runs those trials again (the unique key stops any duplicate).
"""

from __future__ import annotations

import asyncio
from typing import Any, Callable, Sequence

InsertRows = Callable[[Sequence[dict[str, Any]]], Any]


class BatchWriter:
    def __init__(self, insert_rows: InsertRows, *, batch_size: int = 200, interval_s: float = 0.5):
        self._insert = insert_rows
        self.batch_size = batch_size
        self.interval_s = interval_s
        self._pending: list[dict[str, Any]] = []
        self._lock = asyncio.Lock()
        self._ticker: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self.written = 0

    def start(self) -> None:
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    def add(self, row: dict[str, Any]) -> None:
        self._pending.append(row)
        if len(self._pending) >= self.batch_size:
            task = asyncio.get_running_loop().create_task(self.flush())
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _tick(self) -> None:
        while True:
            await asyncio.sleep(self.interval_s)
            if self._pending:
                await self.flush()

    async def flush(self) -> None:
        """Write everything pending. Batches are written one at a time, in order."""
        async with self._lock:
            while self._pending:
                batch, self._pending = self._pending[: self.batch_size * 5], self._pending[self.batch_size * 5 :]
                await asyncio.to_thread(self._insert, batch)
                self.written += len(batch)

    async def close(self) -> None:
        """Stop the ticker and write what is left (also when the run was cancelled)."""
        if self._ticker is not None:
            self._ticker.cancel()
            try:
                await self._ticker
            except asyncio.CancelledError:
                pass
            self._ticker = None
        if self._inflight:
            await asyncio.gather(*self._inflight)
        await self.flush()
