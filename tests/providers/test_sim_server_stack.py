"""The sim-server picks uvicorn's C loop/parser when available, pure asyncio/h11 on request."""

from tamma_tui.providers.simulated.server import make_uvicorn_server
from tamma_tui.providers.simulated.service import SimService


def test_default_lets_uvicorn_pick_uvloop_and_httptools(monkeypatch):
    monkeypatch.delenv("TAMMA_EVENT_LOOP", raising=False)
    config = make_uvicorn_server(SimService()).config
    assert (config.loop, config.http) == ("auto", "auto")
    assert config.proxy_headers is False


def test_env_var_forces_asyncio_and_h11(monkeypatch):
    monkeypatch.setenv("TAMMA_EVENT_LOOP", "asyncio")
    config = make_uvicorn_server(SimService()).config
    assert (config.loop, config.http) == ("asyncio", "h11")
