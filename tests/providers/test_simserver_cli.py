"""`tamma-bench sim-server` in its own process, talked to over real HTTP."""

from __future__ import annotations

import os
import re
import signal
import subprocess
import sys
import time

import httpx
import pytest
from provider_helpers import openai_config, request_for

from tamma_tui.providers import base as kinds
from tamma_tui.providers.base import ProviderError
from tamma_tui.providers.openai_compat import OpenAICompatProvider


def _start(*args: str, env: dict[str, str] | None = None) -> tuple[subprocess.Popen, str]:
    proc = subprocess.Popen(
        [sys.executable, "-m", "tamma_tui", "sim-server", "--host", "127.0.0.1", "--port", "0", *args],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env,
    )
    line = proc.stdout.readline()
    match = re.search(r"(http://127\.0\.0\.1:\d+/v1)", line)
    if not match:
        proc.kill()
        pytest.fail(f"sim-server did not print its URL: {line!r} {proc.stderr.read()}")
    return proc, match.group(1)


def _stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> int:
    proc.send_signal(sig)
    try:
        return proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
        proc.stdout.close()
        proc.stderr.close()


async def test_sim_server_process_serves_models_and_completions():
    proc, url = _start("--latency-ms", "20")
    try:
        async with httpx.AsyncClient() as client:
            models = (await client.get(url + "/models")).json()
        assert {m["id"] for m in models["data"]} >= {"sim-small", "sim-medium", "sim-large"}
        provider = OpenAICompatProvider(openai_config(url))
        try:
            t0 = time.perf_counter()
            done = await provider.complete(request_for(None, text="What is 2 + 2?"))
        finally:
            await provider.aclose()
        assert done.text and done.finish_reason == "stop"
        assert 0.018 <= done.ttft_s and done.latency_s < 5 and time.perf_counter() - t0 >= 0.018
    finally:
        assert _stop(proc) == 0


async def test_sim_server_process_forced_status():
    proc, url = _start("--status", "429", "--retry-after", "3", "--latency-ms", "1")
    try:
        provider = OpenAICompatProvider(openai_config(url))
        try:
            with pytest.raises(ProviderError) as info:
                await provider.complete(request_for(None))
        finally:
            await provider.aclose()
        assert info.value.kind == kinds.RATE_LIMITED and info.value.retry_after == 3.0
    finally:
        _stop(proc)


def test_sim_server_rejects_bad_rates():
    out = subprocess.run([sys.executable, "-m", "tamma_tui", "sim-server", "--fail-rate", "1.5"],
                         capture_output=True, text=True, timeout=30)
    assert out.returncode == 2 and "between 0 and 1" in out.stderr


@pytest.mark.parametrize("stack", ["lean", "uvicorn-asyncio"])
@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM])
def test_sim_server_process_exits_cleanly_on_signals(stack, sig):
    env = dict(os.environ)
    env.pop("TAMMA_EVENT_LOOP", None)
    if stack == "uvicorn-asyncio":
        env["TAMMA_EVENT_LOOP"] = "asyncio"
    proc, url = _start("--latency-ms", "1", env=env)
    try:
        models = httpx.get(url + "/models", timeout=5).json()
        assert models["object"] == "list"
    finally:
        code = _stop(proc, sig)
    assert code == 0
