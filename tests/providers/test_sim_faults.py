"""Each sim-server fault maps to the right ProviderError kind, over real HTTP and in-process."""

from __future__ import annotations

import contextlib
import socket
import time
from email.utils import formatdate

import httpx
import pytest
from provider_helpers import openai_config, request_for

from tamma_tui.providers import base as kinds
from tamma_tui.providers.base import ProviderError
from tamma_tui.providers.factory import SIMULATED_BASE_URL
from tamma_tui.providers.http import parse_retry_after
from tamma_tui.providers.openai_compat import OpenAICompatProvider
from tamma_tui.providers.simulated.faults import FaultOptions, FaultPicker
from tamma_tui.providers.simulated.transport import SimulatedTransport
from tests.simserver_fixture import make_service

# "fast": the lean http transport (default for http://); "httpx": httpx's own transport;
# "inproc": the simulator behind the in-process streaming transport.
TRANSPORTS = ["fast", "httpx", "inproc"]


@contextlib.asynccontextmanager
async def provider_for(how, sim_server, *, stream=True, timeout_s=10.0, **options):
    options.setdefault("latency_scale", 0.02)
    if how == "inproc":
        service = make_service(**options)
        config = openai_config(SIMULATED_BASE_URL, stream=stream, timeout_s=timeout_s)
        provider = OpenAICompatProvider(config, transport=SimulatedTransport(service), base_url=SIMULATED_BASE_URL)
        try:
            yield provider
        finally:
            await provider.aclose()
        return
    with sim_server(**options) as url:
        transport = httpx.AsyncHTTPTransport() if how == "httpx" else None
        provider = OpenAICompatProvider(openai_config(url, stream=stream, timeout_s=timeout_s), transport=transport)
        try:
            yield provider
        finally:
            await provider.aclose()


async def _error(provider, task=None) -> ProviderError:
    with pytest.raises(ProviderError) as info:
        await provider.complete(request_for(task))
    return info.value


@pytest.mark.parametrize("how", TRANSPORTS)
async def test_fail_rate_gives_server_error(how, sim_server):
    async with provider_for(how, sim_server, fail_rate=1.0) as p:
        err = await _error(p)
    assert err.kind == kinds.SERVER_ERROR and err.status == 500 and err.retryable


@pytest.mark.parametrize("how", TRANSPORTS)
async def test_forced_429_with_retry_after_seconds(how, sim_server):
    async with provider_for(how, sim_server, status=429, retry_after="7") as p:
        err = await _error(p)
    assert err.kind == kinds.RATE_LIMITED and err.status == 429 and err.retry_after == 7.0


async def test_forced_429_with_retry_after_http_date(sim_server):
    when = formatdate(time.time() + 30, usegmt=True)
    async with provider_for("fast", sim_server, status=429, retry_after=when) as p:
        err = await _error(p)
    assert err.kind == kinds.RATE_LIMITED and 25 <= err.retry_after <= 31


@pytest.mark.parametrize("status,kind", [(400, kinds.CLIENT_ERROR), (401, kinds.CLIENT_ERROR), (503, kinds.SERVER_ERROR)])
async def test_other_forced_statuses(status, kind, sim_server):
    async with provider_for("fast", sim_server, status=status) as p:
        err = await _error(p)
    assert err.kind == kind and err.status == status
    assert err.retryable == (kind == kinds.SERVER_ERROR)


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("how", TRANSPORTS)
async def test_dropped_connection_is_a_connection_error(how, stream, sim_server, sim_tasks):
    async with provider_for(how, sim_server, stream=stream, drop_rate=1.0) as p:
        err = await _error(p, sim_tasks[0])
    assert err.kind == kinds.CONNECTION, err


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize("how", TRANSPORTS)
async def test_malformed_json_is_a_bad_response(how, stream, sim_server, sim_tasks):
    async with provider_for(how, sim_server, stream=stream, malformed_rate=1.0, chunk_tokens=2) as p:
        err = await _error(p, sim_tasks[0])
    assert err.kind == kinds.BAD_RESPONSE and "malformed" in str(err)


@pytest.mark.parametrize("how", TRANSPORTS)
async def test_truncated_stream_is_a_bad_response(how, sim_server, sim_tasks):
    async with provider_for(how, sim_server, truncate_rate=1.0, chunk_tokens=2) as p:
        err = await _error(p, sim_tasks[0])
    assert err.kind == kinds.BAD_RESPONSE and "finish" in str(err)


@pytest.mark.parametrize("how", ["fast", "httpx"])
async def test_slow_server_times_out_at_the_attempt_deadline(how, sim_server):
    """Providers set no overall deadline of their own: the engine bounds every attempt
    by timeout_s, which ends the hung call and frees its connection."""
    import random

    from tamma_tui.config.models import RetryPolicy
    from tamma_tui.engine.retry import Attempts, call_with_retry

    async with provider_for(how, sim_server, timeout_s=0.3, latency_ms=3000) as p:
        t0 = time.perf_counter()
        with pytest.raises(ProviderError) as info:
            await call_with_retry(lambda _timeout: p.complete(request_for(None)), RetryPolicy(max_attempts=1),
                                  Attempts(), attempt_timeout_s=0.3, rng=random.Random(0))
        elapsed = time.perf_counter() - t0
        if how == "fast":
            assert p._sender._pool.open == 0
    assert info.value.kind == kinds.TIMEOUT and elapsed < 2.0


@pytest.mark.parametrize("how", ["fast", "httpx"])
async def test_refused_connection_is_a_connection_error(how):
    with socket.socket() as s:  # a free port with nobody listening
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    transport = httpx.AsyncHTTPTransport() if how == "httpx" else None
    provider = OpenAICompatProvider(openai_config(f"http://127.0.0.1:{port}/v1"), transport=transport)
    try:
        err = await _error(provider)
    finally:
        await provider.aclose()
    assert err.kind == kinds.CONNECTION


async def test_partial_rates_are_reproducible_and_roughly_right(sim_server):
    options = FaultOptions(fail_rate=0.3, seed=5)
    picker_a, picker_b = FaultPicker(options), FaultPicker(options)
    seq_a = [picker_a.next_fault() for _ in range(400)]
    seq_b = [picker_b.next_fault() for _ in range(400)]
    assert seq_a == seq_b
    assert 0.22 < seq_a.count("fail") / 400 < 0.38
    # Over HTTP, requests sent one after another see the same pattern.
    async with provider_for("fast", sim_server, fail_rate=0.3, seed=5) as p:
        outcomes = []
        for _ in range(20):
            try:
                await p.complete(request_for(None))
                outcomes.append(None)
            except ProviderError as exc:
                outcomes.append("fail" if exc.kind == kinds.SERVER_ERROR else exc.kind)
    assert outcomes == seq_a[:20]


async def test_status_rate_limits_only_a_share(sim_server):
    async with provider_for("inproc", sim_server, status=429, status_rate=0.5, retry_after="1", seed=2) as p:
        kinds_seen = []
        for _ in range(40):
            try:
                await p.complete(request_for(None))
                kinds_seen.append("ok")
            except ProviderError as exc:
                kinds_seen.append(exc.kind)
    assert set(kinds_seen) == {"ok", kinds.RATE_LIMITED}


@pytest.mark.parametrize(
    "value,expected",
    [("3", 3.0), ("0.5", 0.5), ("-2", 0.0), ("", None), (None, None), ("soon", None),
     ("Wed, 21 Oct 2015 07:28:00 GMT", 0.0)],
)
def test_parse_retry_after(value, expected):
    assert parse_retry_after(value) == expected


def test_parse_retry_after_future_date():
    now = 1_700_000_000.0
    assert parse_retry_after(formatdate(now + 120, usegmt=True), now=now) == pytest.approx(120, abs=1)


@pytest.mark.parametrize("stream", [True, False])
@pytest.mark.parametrize(
    "fault,kind",
    [({"drop_rate": 1.0}, kinds.CONNECTION), ({"malformed_rate": 1.0}, kinds.BAD_RESPONSE),
     ({"truncate_rate": 1.0}, kinds.BAD_RESPONSE), ({}, None)],
)
async def test_fixed_latency_mode_sends_whole_bodies_with_the_same_faults(fault, kind, stream, sim_server, sim_tasks):
    if not stream and "truncate_rate" in fault:
        kind = None  # truncation is a streaming fault only
    async with provider_for("fast", sim_server, stream=stream, latency_ms=30, chunk_tokens=2, **fault) as p:
        t0 = time.perf_counter()
        try:
            done = await p.complete(request_for(sim_tasks[0]))
            got = None
        except ProviderError as exc:
            got = exc.kind
        elapsed = time.perf_counter() - t0
    assert got == kind
    assert elapsed >= 0.03
    if kind is None:
        assert done.text in {a.text for a in sim_tasks[0].answers} and done.finish_reason == "stop"
        if stream:
            assert done.ttft_s >= 0.03


@pytest.mark.parametrize("how", ["fast", "inproc"])
async def test_invalid_parameters_are_a_client_error(how, sim_server):
    async with provider_for(how, sim_server) as p:
        p._base_body["temperature"] = "hot"
        err = await _error(p)
    assert err.kind == kinds.CLIENT_ERROR and err.status == 400 and "expected a number" in str(err)
