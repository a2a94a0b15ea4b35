"""The engine's event-loop helper: uvloop when installed, the stdlib loop on request,
and the GC freeze undone after a run."""

import asyncio
import gc
import importlib.util

import pytest

from tamma_tui.engine import loop as engine_loop

HAS_UVLOOP = importlib.util.find_spec("uvloop") is not None


@pytest.mark.skipif(not HAS_UVLOOP, reason="uvloop not installed")
def test_new_event_loop_is_uvloop_when_installed(monkeypatch):
    monkeypatch.delenv(engine_loop.ENV_VAR, raising=False)
    loop = engine_loop.new_event_loop()
    try:
        assert type(loop).__module__.startswith("uvloop")
        assert engine_loop.uvloop_in_use()
    finally:
        loop.close()


def test_env_var_forces_the_stdlib_loop(monkeypatch):
    monkeypatch.setenv(engine_loop.ENV_VAR, "asyncio")
    loop = engine_loop.new_event_loop()
    try:
        assert type(loop).__module__.startswith("asyncio")
        assert not engine_loop.uvloop_in_use()
    finally:
        loop.close()


def test_run_returns_the_result_with_the_collector_tuned_only_during_the_run():
    assert gc.get_freeze_count() == 0
    before = gc.get_threshold()

    async def work() -> tuple[int, int, tuple[int, ...]]:
        await asyncio.sleep(0)
        return 42, gc.get_freeze_count(), gc.get_threshold()

    value, frozen_inside, threshold_inside = engine_loop.run(work())
    assert value == 42
    assert frozen_inside > 1000  # the interpreter's start-up objects at least
    assert threshold_inside == (max(before[0], engine_loop.RUN_GC_THRESHOLD), *before[1:])
    assert gc.get_freeze_count() == 0 and gc.get_threshold() == before


def test_run_propagates_errors_and_still_unfreezes():
    async def fail() -> None:
        raise ValueError("boom")

    with pytest.raises(ValueError, match="boom"):
        engine_loop.run(fail())
    assert gc.get_freeze_count() == 0 and gc.get_threshold()[0] < engine_loop.RUN_GC_THRESHOLD
