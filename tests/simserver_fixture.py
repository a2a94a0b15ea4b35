"""The real simulated model server on 127.0.0.1 (a free port) for any team's tests.

    from tests.simserver_fixture import running_sim_server

    with running_sim_server(latency_ms=5, fail_rate=0.2, seed=1) as base_url:
        ...  # an AgentConfig with provider: openai, base_url: base_url, model: sim-medium

Keyword arguments: every ``FaultOptions`` field (fail_rate, status, status_rate,
retry_after, drop_rate, malformed_rate, truncate_rate, seed) plus ``latency_ms``,
``latency_scale``, ``chunk_tokens``, ``tasks`` (extra Task objects the server knows) and
``task_lookup`` (task_id -> Task | None; default: the built-in suites).
"""

from __future__ import annotations

import contextlib
import dataclasses
from typing import Any, Iterator

from tamma_tui.providers.simulated.faults import FaultOptions
from tamma_tui.providers.simulated.server import BackgroundSimServer
from tamma_tui.providers.simulated.service import SimService

_FAULT_FIELDS = {f.name for f in dataclasses.fields(FaultOptions)}


def make_service(**options: Any) -> SimService:
    fault_kwargs = {k: options.pop(k) for k in list(options) if k in _FAULT_FIELDS}
    return SimService(faults=FaultOptions(**fault_kwargs), **options)


@contextlib.contextmanager
def running_sim_server(**options: Any) -> Iterator[str]:
    """Yields the server's base URL, e.g. ``http://127.0.0.1:41234/v1``."""
    with BackgroundSimServer(make_service(**options)) as server:
        yield server.base_url
