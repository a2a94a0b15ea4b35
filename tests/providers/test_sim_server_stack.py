"""Which server runs the simulator: the lean one by default, uvicorn for ASGI apps and for
the forced pure-asyncio stack (where uvicorn picks asyncio + h11)."""

import httpx

from tamma_tui.providers.simulated.server import (
    BackgroundSimServer,
    SimServerApp,
    make_uvicorn_server,
    use_lean_server,
)
from tamma_tui.providers.simulated.service import SimService


def test_default_is_the_lean_server_and_uvicorn_would_pick_uvloop_and_httptools(monkeypatch):
    monkeypatch.delenv("TAMMA_EVENT_LOOP", raising=False)
    assert use_lean_server() is True
    config = make_uvicorn_server(SimService()).config
    assert (config.loop, config.http) == ("auto", "auto")
    assert config.proxy_headers is False


def test_an_asgi_app_is_served_by_uvicorn(monkeypatch):
    monkeypatch.delenv("TAMMA_EVENT_LOOP", raising=False)
    assert use_lean_server(SimServerApp()) is False


def test_env_var_forces_uvicorn_on_asyncio_and_h11(monkeypatch):
    monkeypatch.setenv("TAMMA_EVENT_LOOP", "asyncio")
    assert use_lean_server() is False
    config = make_uvicorn_server(SimService()).config
    assert (config.loop, config.http) == ("asyncio", "h11")


def test_without_httptools_the_fallback_is_uvicorn(monkeypatch):
    import builtins

    real_import = builtins.__import__

    def no_httptools(name, *args, **kwargs):
        if name == "httptools":
            raise ImportError("not installed")
        return real_import(name, *args, **kwargs)

    monkeypatch.delenv("TAMMA_EVENT_LOOP", raising=False)
    monkeypatch.setattr(builtins, "__import__", no_httptools)
    assert use_lean_server() is False


def test_the_uvicorn_fallback_serves_the_same_replies(monkeypatch):
    monkeypatch.setenv("TAMMA_EVENT_LOOP", "asyncio")
    with BackgroundSimServer(SimService(latency_ms=1)) as srv:
        assert srv._uvicorn is not None
        body = {"model": "sim-small", "messages": [{"role": "user", "content": "hi"}], "seed": 1}
        with httpx.Client() as client:
            r = client.post(srv.base_url + "/chat/completions", json=body)
            missing = client.get(srv.base_url + "/nope")
    assert r.status_code == 200 and "simulated agent" in r.json()["choices"][0]["message"]["content"]
    assert missing.status_code == 404


def _fallback(monkeypatch, **faults):
    from tamma_tui.providers.simulated.faults import FaultOptions

    monkeypatch.setenv("TAMMA_EVENT_LOOP", "asyncio")
    service = SimService(faults=FaultOptions(**faults), latency_scale=0.05, chunk_tokens=2)
    return BackgroundSimServer(service)


BODY = {"model": "sim-small", "messages": [{"role": "user", "content": "hi there"}], "seed": 1}


def test_the_uvicorn_fallback_streams_with_timing_and_applies_faults(monkeypatch):
    with _fallback(monkeypatch) as srv, httpx.Client() as client:
        with client.stream("POST", srv.base_url + "/chat/completions", json={**BODY, "stream": True}) as r:
            pieces = list(r.iter_raw())
    assert r.headers["content-type"] == "text/event-stream" and len(pieces) > 1
    assert b"".join(pieces).endswith(b"data: [DONE]\n\n")

    with _fallback(monkeypatch, status=429, retry_after="4") as srv, httpx.Client() as client:
        r = client.post(srv.base_url + "/chat/completions", json=BODY)
    assert r.status_code == 429 and r.headers["retry-after"] == "4"

    with _fallback(monkeypatch, truncate_rate=1.0) as srv, httpx.Client() as client:
        r = client.post(srv.base_url + "/chat/completions", json={**BODY, "stream": True})
    assert r.status_code == 200 and "[DONE]" not in r.text and '"finish_reason":"stop"' not in r.text


def test_the_uvicorn_fallback_drops_connections(monkeypatch):
    for stream in (False, True):
        with _fallback(monkeypatch, drop_rate=1.0) as srv, httpx.Client() as client:
            try:
                client.post(srv.base_url + "/chat/completions", json={**BODY, "stream": stream})
                dropped = False
            except httpx.TransportError:
                dropped = True
        assert dropped, stream
