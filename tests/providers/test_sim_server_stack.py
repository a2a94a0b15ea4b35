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
