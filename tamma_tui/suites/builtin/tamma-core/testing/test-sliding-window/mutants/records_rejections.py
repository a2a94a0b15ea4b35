"""Sliding-window rate limiting: at most `limit` events in any `window` seconds."""
from collections import deque


class SlidingWindowLimiter:
    def __init__(self, limit, window):
        if limit < 1 or window <= 0:
            raise ValueError("limit must be >= 1 and window > 0")
        self.limit = limit
        self.window = window
        self._events = deque()

    def _expire(self, now):
        # An event at time t stops counting once now - t >= window.
        while self._events and now - self._events[0] >= self.window:
            self._events.popleft()

    def allow(self, now):
        """Record an event at `now` and return True if it fits, else return False
        without recording it. Timestamps must not go backwards (ValueError)."""
        if self._events and now < self._events[-1]:
            raise ValueError("time went backwards")
        self._expire(now)
        self._events.append(now)
        return len(self._events) <= self.limit

    def retry_after(self, now):
        """Seconds until the next event would be allowed (0.0 if it would be now)."""
        self._expire(now)
        if len(self._events) < self.limit:
            return 0.0
        return self._events[0] + self.window - now

    def count(self, now):
        self._expire(now)
        return len(self._events)
