"""A canary API key never appears in any ProviderError message, whatever goes wrong."""

from __future__ import annotations

import json
import socket

import pytest
from provider_helpers import CANARY_KEY, openai_config, request_for

from tamma_tui.providers.base import ProviderError
from tamma_tui.providers.keys import redact
from tamma_tui.providers.openai_compat import OpenAICompatProvider
from tamma_tui.providers.simulated.server import BackgroundSimServer


class EchoKeyServer:
    """A hostile server that echoes the Authorization header back in its error bodies."""

    def __init__(self, status: int, stream_error: bool = False):
        self.status = status
        self.stream_error = stream_error

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            return
        auth = dict(scope["headers"]).get(b"authorization", b"").decode()
        while (await receive()).get("more_body"):
            pass
        if self.stream_error:
            event = f"data: {json.dumps({'error': {'message': 'leaked ' + auth}})}\n\n".encode()
            await send({"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"text/event-stream")]})
            await send({"type": "http.response.body", "body": event})
            return
        body = json.dumps({"error": {"message": f"Incorrect API key provided: {auth} / {auth[7:]}"}}).encode()
        await send({"type": "http.response.start", "status": self.status, "headers": [(b"content-type", b"application/json")]})
        await send({"type": "http.response.body", "body": body})


@pytest.fixture(autouse=True)
def _canary(monkeypatch):
    monkeypatch.setenv("CANARY_KEY_VAR", CANARY_KEY)


@pytest.mark.parametrize("status,stream_error", [(401, False), (429, False), (500, False), (200, True)])
async def test_echoed_key_is_redacted(status, stream_error):
    with BackgroundSimServer(app=EchoKeyServer(status, stream_error)) as srv:
        provider = OpenAICompatProvider(openai_config(srv.base_url, api_key_env="CANARY_KEY_VAR"))
        try:
            with pytest.raises(ProviderError) as info:
                await provider.complete(request_for(None))
        finally:
            await provider.aclose()
    text = f"{info.value} {info.value!r} {info.value.args}"
    assert "HTTP" in text or "error event" in text
    assert CANARY_KEY not in text and "canary" not in text


@pytest.mark.parametrize("fault", [{"drop_rate": 1.0}, {"malformed_rate": 1.0}, {"truncate_rate": 1.0}])
async def test_transport_failures_do_not_mention_the_key(fault, sim_server, sim_tasks):
    with sim_server(latency_scale=0.02, **fault) as url:
        provider = OpenAICompatProvider(openai_config(url, api_key_env="CANARY_KEY_VAR"))
        try:
            with pytest.raises(ProviderError) as info:
                await provider.complete(request_for(sim_tasks[0]))
        finally:
            await provider.aclose()
    assert CANARY_KEY not in str(info.value) and info.value.__cause__ is None


async def test_refused_connection_does_not_mention_the_key():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    provider = OpenAICompatProvider(openai_config(f"http://127.0.0.1:{port}/v1", api_key_env="CANARY_KEY_VAR"))
    try:
        with pytest.raises(ProviderError) as info:
            await provider.complete(request_for(None))
    finally:
        await provider.aclose()
    assert CANARY_KEY not in repr(info.value.args)


def test_redact_masks_the_exact_key_and_key_shaped_tokens():
    assert redact(f"bad key {CANARY_KEY}!", CANARY_KEY) == "bad key [redacted]!"
    assert "sk-other-98765" not in redact("got sk-other-98765 and Bearer abc.def")
    assert "abc.def" not in redact("Bearer abc.def")


async def test_unexpected_transport_failure_is_still_a_provider_error():
    import httpx

    class Broken(httpx.AsyncBaseTransport):
        async def handle_async_request(self, request):
            raise RuntimeError(f"bug while holding {request.headers['authorization']}")

    provider = OpenAICompatProvider(openai_config("http://127.0.0.1:9/v1", api_key_env="CANARY_KEY_VAR"),
                                    transport=Broken())
    with pytest.raises(ProviderError) as info:
        await provider.complete(request_for(None))
    assert info.value.kind == "bad_response" and "RuntimeError" in str(info.value)
    assert CANARY_KEY not in str(info.value)
