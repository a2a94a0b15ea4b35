"""Which event loop to run on: uvloop when it is installed, else asyncio's own.

Why: at high concurrency the engine and the sim-server are CPU-bound in the event loop
(socket callbacks, timers, task switches); uvloop does that work in C (figures in
docs/benchmarks.md). It is an optional, CPython-on-POSIX package, so everything falls
back to the stdlib loop when it is absent. ``TAMMA_EVENT_LOOP=asyncio`` forces the stdlib
loop in both processes (for comparisons, or to rule uvloop out when debugging), and the
sim-server then also serves with uvicorn and h11.

It lives with the providers (below the engine) because the sim-server chooses too.
"""

from __future__ import annotations

import asyncio
import os

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
