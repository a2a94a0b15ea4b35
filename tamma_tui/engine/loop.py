"""The engine's event loop: a fresh loop of ``providers.event_loop``'s choice (uvloop
when installed), with the garbage collector tuned for the length of a run.
"""

from __future__ import annotations

import asyncio
import gc
from contextlib import contextmanager
from typing import Any, Coroutine, Iterator, TypeVar

from tamma_tui.providers.event_loop import (
    ENV_VAR,
    new_event_loop,
    stdlib_loop_forced,
    uvloop_in_use,
)

__all__ = ["ENV_VAR", "collector_tuned", "new_event_loop", "run", "stdlib_loop_forced", "uvloop_in_use"]

T = TypeVar("T")


def run(coro: Coroutine[Any, Any, T]) -> T:
    """``asyncio.run`` on ``new_event_loop()`` (same clean-up: pending tasks cancelled,
    async generators and the default executor shut down), with the garbage collector
    tuned for a run (``collector_tuned``)."""
    with collector_tuned(), asyncio.Runner(loop_factory=new_event_loop) as runner:
        return runner.run(coro)


# Young-generation threshold during a run (CPython's default is 700).
RUN_GC_THRESHOLD = 10_000


@contextmanager
def collector_tuned() -> Iterator[None]:
    """For the block: every object alive now is moved out of the cyclic GC's scans, and
    the youngest generation is collected every 10,000 allocations instead of 700.

    Why: after imports a process holds ~100k tracked objects (pydantic, SQLAlchemy, ...)
    and each full collection walks all of them; and at concurrency 256 the young
    generation always holds a few hundred in-flight trials' objects, which a collection
    every 700 allocations walks again and again. Together that was ~20% of the engine's
    CPU per trial (docs/benchmarks.md). Nothing is lost: trial objects are freed by
    reference counting; cycles are still collected, only less often; ``unfreeze`` hands
    the start-up objects back afterwards. Nested or concurrent uses are safe (the first
    exit restores for all of them, which costs speed only)."""
    gc.freeze()
    previous = gc.get_threshold()
    gc.set_threshold(max(previous[0], RUN_GC_THRESHOLD), *previous[1:])
    try:
        yield
    finally:
        gc.set_threshold(*previous)
        gc.unfreeze()
