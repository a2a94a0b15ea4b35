"""A token bucket rate limiter with an injectable clock (for deterministic tests)."""
import time


class TokenBucket:
    def __init__(self, rate, capacity, clock=time.monotonic):
        """`rate` tokens are added per second, up to `capacity`; it starts full."""
        if rate <= 0 or capacity <= 0:
            raise ValueError("rate and capacity must be positive")
        self.rate = rate
        self.capacity = capacity
        self._clock = clock
        self._tokens = float(capacity)
        self._stamp = clock()

    def _refill(self):
        now = self._clock()
        elapsed = max(0.0, now - self._stamp)
        self._tokens = self._tokens + elapsed * self.rate
        self._stamp = now

    def try_take(self, n=1):
        """Take n tokens if available; True on success. n > capacity -> ValueError."""
        if n > self.capacity:
            raise ValueError("request exceeds capacity")
        self._refill()
        if self._tokens >= n:
            self._tokens -= n
            return True
        return False

    def wait_time(self, n=1):
        """Seconds until n tokens will be available (0.0 if they are now)."""
        self._refill()
        missing = n - self._tokens
        return 0.0 if missing <= 0 else missing / self.rate
