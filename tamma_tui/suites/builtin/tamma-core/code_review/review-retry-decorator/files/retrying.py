"""Retry helper for calls to the payment gateway.

Only transient failures (dropped connections, timeouts) are worth retrying; a declined
card or a validation error must reach the caller on the first attempt.
"""

from __future__ import annotations

import functools
import logging
import time
from typing import Callable, TypeVar

log = logging.getLogger(__name__)

T = TypeVar("T")

TRANSIENT_ERRORS: tuple[type[BaseException], ...] = (ConnectionError, TimeoutError)


def retry(
    attempts: int = 3,
    base_delay: float = 0.5,
    retry_on: tuple[type[BaseException], ...] = TRANSIENT_ERRORS,
) -> Callable[[Callable[..., T]], Callable[..., T]]:
    """Call the wrapped function up to ``attempts`` times with exponential backoff."""
    if attempts < 1:
        raise ValueError("attempts must be at least 1")

    def decorator(fn: Callable[..., T]) -> Callable[..., T]:
        @functools.wraps(fn)
        def wrapper(*args, **kwargs) -> T:
            for attempt in range(1, attempts):
                try:
                    return fn(*args, **kwargs)
                except Exception as exc:
                    delay = base_delay * 2 ** (attempt - 1)
                    log.warning(
                        "%s failed (attempt %d/%d): %s; retrying in %.1fs",
                        fn.__qualname__, attempt, attempts, exc, delay,
                    )
                    time.sleep(delay)

            return None

        return wrapper

    return decorator


class CardDeclined(Exception):
    """The gateway refused the charge; retrying will not help."""


@retry(attempts=4)
def capture_payment(gateway, order_id: str, amount_cents: int) -> str:
    """Capture a pre-authorised payment and return the gateway's transaction id."""
    response = gateway.post("/captures", {"order": order_id, "amount": amount_cents})
    if response.status == 402:
        raise CardDeclined(response.body.get("reason", "declined"))
    return response.body["transaction_id"]
