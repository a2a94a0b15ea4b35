"""Batched trial writes: one transaction per batch, run in a thread off the event loop.

No finished trial is lost silently:
- a row leaves ``_pending`` only after the insert that holds it committed (a batch that
  fails stays in memory; the store's unique key makes a repeated insert harmless);
- ``close()`` waits for a flush already under way instead of cancelling it;
- a busy database (a write lock held past the busy timeout) is retried with backoff while
  the trials stay in memory;
- a full disk keeps what fits (row by row once a batch no longer fits), then the writer
  stops and says why in one line (``failure``), and the engine stops scheduling.
The engine compares ``written`` with ``added`` at the end: fewer means the run is incomplete.
"""

from __future__ import annotations

import asyncio
import time
from typing import Any, Awaitable, Callable, Sequence

from tamma_tui.store.write_errors import StoreBusy, StoreFull

InsertRows = Callable[[Sequence[dict[str, Any]]], Any]


class BatchWriter:
    def __init__(
        self,
        insert_rows: InsertRows,
        *,
        batch_size: int = 200,
        interval_s: float = 0.5,
        busy_backoff_s: float = 0.05,
        busy_backoff_max_s: float = 2.0,
        busy_give_up_s: float = 300.0,
        sleep: Callable[[float], Awaitable[Any]] = asyncio.sleep,
    ):
        self._insert = insert_rows
        self.batch_size = batch_size
        self.interval_s = interval_s
        self.busy_backoff_s = busy_backoff_s
        self.busy_backoff_max_s = busy_backoff_max_s
        self.busy_give_up_s = busy_give_up_s
        self._sleep = sleep
        self._pending: list[dict[str, Any]] = []
        self._lock = asyncio.Lock()
        self._stop = asyncio.Event()
        self._ticker: asyncio.Task[None] | None = None
        self._inflight: set[asyncio.Task[None]] = set()
        self.added = 0
        self.written = 0
        self.busy_retries = 0
        self.failure: str | None = None   # why writing stopped; the unwritten rows stay pending

    @property
    def unwritten(self) -> int:
        return self.added - self.written

    def start(self) -> None:
        self._ticker = asyncio.get_running_loop().create_task(self._tick())

    def add(self, row: dict[str, Any]) -> None:
        self._pending.append(row)
        self.added += 1
        if len(self._pending) >= self.batch_size and not self._lock.locked() and self.failure is None:
            task = asyncio.get_running_loop().create_task(self.flush())
            self._inflight.add(task)
            task.add_done_callback(self._inflight.discard)

    async def _tick(self) -> None:
        # Ends when close() sets the stop event; never cancelled, so a flush it started
        # always finishes.
        while not self._stop.is_set():
            try:
                await asyncio.wait_for(self._stop.wait(), self.interval_s)
            except asyncio.TimeoutError:
                pass
            if self._pending and self.failure is None:
                await self.flush()

    async def flush(self) -> None:
        """Write everything pending, one batch at a time, in order."""
        async with self._lock:
            busy_since: float | None = None
            delay = self.busy_backoff_s
            while self._pending and self.failure is None:
                batch = self._pending[: self.batch_size * 5]
                try:
                    await asyncio.to_thread(self._insert, batch)
                except StoreBusy as exc:
                    now = time.monotonic()
                    busy_since = busy_since if busy_since is not None else now
                    if now - busy_since >= self.busy_give_up_s:
                        self.failure = f"the database stayed locked for {now - busy_since:.0f} s ({exc})"
                        return
                    self.busy_retries += 1
                    await self._sleep(delay)
                    delay = min(delay * 2, self.busy_backoff_max_s)
                    continue
                except StoreFull as exc:
                    await self._write_what_fits(batch)
                    self.failure = f"the disk is full ({exc}); finished trials that did not fit were not stored"
                    return
                except Exception as exc:  # anything else: stop writing, keep the rows, say why
                    # One line: a driver error's first line names the problem; what follows
                    # (the statement) is no use to the user.
                    first = str(exc).splitlines()[0] if str(exc) else ""
                    self.failure = f"storing trials failed: {type(exc).__name__}: {first[:200]}"
                    return
                busy_since, delay = None, self.busy_backoff_s
                del self._pending[: len(batch)]
                self.written += len(batch)

    async def _write_what_fits(self, batch: list[dict[str, Any]]) -> None:
        for row in batch:
            try:
                await asyncio.to_thread(self._insert, [row])
            except Exception:
                return
            self._pending.pop(0)
            self.written += 1

    async def close(self) -> None:
        """Stop the ticker and write what is left (also when the run was cancelled)."""
        self._stop.set()
        if self._ticker is not None:
            await self._ticker
            self._ticker = None
        if self._inflight:
            await asyncio.gather(*self._inflight)
        await self.flush()
