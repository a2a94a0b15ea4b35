"""Exponential back-off delays for retrying failed calls."""


def backoff_delays(attempts, base=0.5, factor=2.0, cap=30.0):
    """Delays before retries 1..attempts: base, base*factor, ... each capped at `cap`.

    attempts must be >= 0; base must be > 0, factor >= 1, cap >= base (ValueError).
    """
    if attempts < 0:
        raise ValueError("attempts must be >= 0")
    if base <= 0 or factor < 1 or cap < base:
        raise ValueError("need base > 0, factor >= 1 and cap >= base")
    return [min(cap, base * factor ** i) for i in range(attempts)]


def total_wait(attempts, **kwargs):
    """Seconds spent waiting if every retry is used."""
    return sum(backoff_delays(attempts, **kwargs))


def should_retry(status, attempt, max_attempts):
    """Retry 429 and 5xx responses (and status 0 = connection error) while attempts
    remain. `attempt` counts from 1 for the first try."""
    if attempt > max_attempts:
        return False
    return status == 0 or status == 429 or 500 <= status <= 599
