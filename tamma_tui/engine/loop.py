"""The event loop the engine runs on: uvloop when it is installed, else asyncio's own.

Why: at high concurrency the engine is CPU-bound in the event loop itself (socket
callbacks, timers, task switches); uvloop does that work in C and cuts the engine's CPU
per trial (figures in docs/benchmarks.md). It is an optional, CPython-on-POSIX package,
so everything falls back to the stdlib loop when it is absent. ``TAMMA_EVENT_LOOP=asyncio``
forces the stdlib loop (for comparisons, or to rule uvloop out when debugging); the
sim-server honours the same variable.
"""

from __future__ import annotations

import asyncio
import gc
import os
from contextlib import contextmanager
from typing import Any, Coroutine, Iterator, TypeVar

T = TypeVar("T")

ENV_VAR = "TAMMA_EVENT_LOOP"


def stdlib_loop_forced() -> bool:
    """True when ``TAMMA_EVENT_LOOP=asyncio`` asks for asyncio's loop (and h11 in the sim-server)."""
    return os.environ.get(ENV_VAR, "").strip().lower() == "asyncio"


def uvloop_in_use() -> bool:
    """Whether ``new_event_loop`` returns a uvloop loop (installed and not switched off)."""
    if stdlib_loop_forced():
        return False
    try:
        import uvloop  # noqa: F401
    except ImportError:
        return False
    return True


def new_event_loop() -> asyncio.AbstractEventLoop:
    """A fresh event loop, uvloop's when available; never installs a global policy."""
    if uvloop_in_use():
        import uvloop

        return uvloop.new_event_loop()
    return asyncio.new_event_loop()


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
