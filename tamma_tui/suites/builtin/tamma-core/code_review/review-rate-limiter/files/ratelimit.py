"""Per-client request limiting for the public API gateway.

Each client may send at most ``limit`` requests in any sliding window of ``window``
seconds. The gateway sits behind our load balancer, which sets ``request.client_ip``
from the TCP connection.
"""

from __future__ import annotations

import threading
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class Request:
    path: str
    client_ip: str
    headers: dict[str, str]


@dataclass
class Response:
    status: int
    headers: dict[str, str]
    body: bytes = b""


class SlidingWindowLimiter:
    def __init__(self, limit: int, window: float = 60.0, clock: Callable[[], float] = time.monotonic):
        if limit < 1 or window <= 0:
            raise ValueError("limit and window must be positive")
        self.limit = limit
        self.window = window
        self._clock = clock
        self._hits: dict[str, list[float]] = {}
        self._lock = threading.Lock()

    def allow(self, client_id: str) -> bool:
        """Record a request and say whether it is within the client's budget."""
        now = self._clock()
        with self._lock:
            hits = self._hits.setdefault(client_id, [])
            cutoff = now - self.window
            while hits and hits[0] <= cutoff:
                hits.pop(0)

            if len(hits) > self.limit:
                return False
            hits.append(now)
            return True

    def retry_after(self, client_id: str) -> float:
        """Seconds until the oldest hit in the window expires (0 if not limited)."""
        with self._lock:
            hits = self._hits.get(client_id, [])
            if len(hits) < self.limit:
                return 0.0
            return max(0.0, hits[0] + self.window - self._clock())


def rate_limited(limiter: SlidingWindowLimiter, handler: Callable[[Request], Response]):
    """Wrap a handler so over-budget clients get 429 with a Retry-After header."""

    def wrapped(request: Request) -> Response:
        client_id = request.headers.get("X-Forwarded-For", request.client_ip)
        if not limiter.allow(client_id):
            wait = limiter.retry_after(client_id)
            return Response(429, {"Retry-After": str(int(wait) + 1)}, b"rate limit exceeded")
        return handler(request)

    return wrapped
