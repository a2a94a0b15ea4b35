"""Fault injection for the simulated server: which request fails, and how.

Decisions come from ``random.Random(f"{seed}:{n}")`` for the n-th request, so a test that
sends requests one after another sees the same faults on every run.
"""

from __future__ import annotations

import itertools
import random
from dataclasses import dataclass

STATUS = "status"        # the forced status (e.g. 429 with Retry-After)
FAIL = "fail"            # HTTP 500
DROP = "drop"            # connection closed mid-response
MALFORMED = "malformed"  # invalid JSON body or chunk
TRUNCATE = "truncate"    # stream ends cleanly but early: no finish, no [DONE]


@dataclass(frozen=True)
class FaultOptions:
    fail_rate: float = 0.0
    status: int | None = None
    status_rate: float = 1.0       # share of requests that get ``status`` (when set)
    retry_after: str | None = None  # sent with ``status`` as the Retry-After header
    drop_rate: float = 0.0
    malformed_rate: float = 0.0
    truncate_rate: float = 0.0
    seed: int = 0

    def __post_init__(self) -> None:
        for name in ("fail_rate", "status_rate", "drop_rate", "malformed_rate", "truncate_rate"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be between 0 and 1, got {value}")

    @property
    def any(self) -> bool:
        return bool(
            self.fail_rate or self.status is not None or self.drop_rate
            or self.malformed_rate or self.truncate_rate
        )


class FaultPicker:
    def __init__(self, options: FaultOptions):
        self.options = options
        self._counter = itertools.count()  # next() is atomic under the GIL

    def next_fault(self) -> str | None:
        o = self.options
        if not o.any:
            return None
        rng = random.Random(f"{o.seed}:{next(self._counter)}")
        # One draw per kind, in a fixed order, so each rate holds on its own.
        draws = [rng.random() for _ in range(5)]
        if o.status is not None and draws[0] < o.status_rate:
            return STATUS
        if draws[1] < o.fail_rate:
            return FAIL
        if draws[2] < o.drop_rate:
            return DROP
        if draws[3] < o.malformed_rate:
            return MALFORMED
        if draws[4] < o.truncate_rate:
            return TRUNCATE
        return None
