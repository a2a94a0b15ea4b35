"""Build the right back end for an AgentConfig, and check it can work before a run."""

from __future__ import annotations

import os
import shutil
import socket
from pathlib import Path
from typing import Iterable
from urllib.parse import urlsplit

from tamma_tui.config.errors import BadInput
from tamma_tui.config.models import AgentConfig

from tamma_tui.suites.model import Task

from .base import Provider

CONNECT_CHECK_S = 2.0
SIMULATED_BASE_URL = "http://simulated.tamma/v1"


def make_provider(
    config: AgentConfig, *, max_connections: int = 64, tasks: Iterable[Task] = ()
) -> Provider:
    """One provider (with its own connection pool) per arm.

    ``tasks`` only matters for ``provider: simulated``: the simulator then also knows
    these tasks' answer banks (built-in suites are always known), e.g. a user's own
    suite folder or JSONL file."""
    if config.provider == "openai":
        from .openai_compat import OpenAICompatProvider

        return OpenAICompatProvider(config, max_connections=max_connections)
    if config.provider == "anthropic":
        from .anthropic import AnthropicProvider

        return AnthropicProvider(config, max_connections=max_connections)
    if config.provider == "command":
        from .command import CommandProvider

        return CommandProvider(config)
    if config.provider == "simulated":
        # The real OpenAI-compatible client over an in-process streaming transport.
        from .openai_compat import OpenAICompatProvider
        from .simulated.service import SimService
        from .simulated.transport import DEFAULT_CHUNK_TOKENS, DEFAULT_LATENCY_SCALE, SimulatedTransport

        service = SimService(
            tasks=tasks, latency_scale=DEFAULT_LATENCY_SCALE, chunk_tokens=DEFAULT_CHUNK_TOKENS
        )
        return OpenAICompatProvider(
            config.model_copy(update={"api_key_env": None}),  # the simulator needs no key
            max_connections=max_connections,
            transport=SimulatedTransport(service),
            base_url=SIMULATED_BASE_URL,
        )
    raise BadInput(f"unknown provider {config.provider!r}", field="provider")


def preflight(config: AgentConfig, source: str) -> None:
    """Raise BadInput (file=source) when the config cannot work: a missing API-key
    variable (named, never its value), an unreachable base_url, a missing command."""
    if config.provider == "simulated":
        return
    if config.provider == "command":
        _check_command(config, source)
        return
    if config.provider == "openai":
        from .openai_compat import DEFAULT_BASE_URL, key_env_for
    else:
        from .anthropic import DEFAULT_BASE_URL, key_env_for
    key_env = key_env_for(config)
    if key_env and not os.environ.get(key_env):
        raise BadInput(
            f"environment variable {key_env} is not set (it should hold the API key)",
            file=source,
            field="api_key_env",
        )
    _check_reachable(config.base_url or DEFAULT_BASE_URL, source)


def _check_command(config: AgentConfig, source: str) -> None:
    argv = config.command or []
    if not argv:
        raise BadInput("must be a non-empty list of arguments", file=source, field="command")
    exe = argv[0]
    if os.sep in exe or "/" in exe:
        path = Path(exe)
        if not path.is_file():
            raise BadInput(f"executable not found: {exe}", file=source, field="command")
        if not os.access(path, os.X_OK):
            raise BadInput(f"not executable: {exe}", file=source, field="command")
    elif shutil.which(exe) is None:
        raise BadInput(f"executable not found on PATH: {exe}", file=source, field="command")


def _check_reachable(base_url: str, source: str) -> None:
    parts = urlsplit(base_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise BadInput(f"not an http(s) URL: {base_url!r}", file=source, field="base_url")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise BadInput(f"invalid port in {base_url!r}", file=source, field="base_url") from None
    try:
        with socket.create_connection((parts.hostname, port), timeout=CONNECT_CHECK_S):
            pass
    except OSError as exc:
        reason = exc.strerror or type(exc).__name__
        if isinstance(exc, (TimeoutError, socket.timeout)):
            reason = f"no answer within {CONNECT_CHECK_S:g} s"
        raise BadInput(f"cannot connect to {base_url}: {reason}", file=source, field="base_url") from None
