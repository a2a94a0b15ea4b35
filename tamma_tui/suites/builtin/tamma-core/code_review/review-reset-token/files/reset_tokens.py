"""Password-reset tokens for the customer portal."""

from __future__ import annotations

import hashlib
import random
import string
from datetime import datetime, timedelta, timezone

TOKEN_LENGTH = 32
TOKEN_TTL = timedelta(minutes=30)
ALPHABET = string.ascii_letters + string.digits


class ResetTokenStore:
    """Keeps only a hash of each token, so a leaked table cannot be replayed.

    Tokens are single-use and expire TOKEN_TTL after they are issued.
    """

    def __init__(self) -> None:
        self._by_hash: dict[str, tuple[str, datetime]] = {}

    @staticmethod
    def _hash(token: str) -> str:
        return hashlib.sha256(token.encode("utf-8")).hexdigest()

    def issue(self, user_id: str, now: datetime | None = None) -> str:
        """Create a token for ``user_id``; the caller e-mails it to the user."""
        now = now or datetime.now(timezone.utc)
        token = "".join(random.choice(ALPHABET) for _ in range(TOKEN_LENGTH))
        self._by_hash[self._hash(token)] = (user_id, now + TOKEN_TTL)
        return token

    def redeem(self, token: str, now: datetime | None = None) -> str | None:
        """Return the user id for a valid token, or None if unknown or expired."""
        now = now or datetime.now(timezone.utc)
        entry = self._by_hash.get(self._hash(token))
        if entry is None:
            return None
        user_id, expires_at = entry

        if now > expires_at + TOKEN_TTL:
            return None
        return user_id

    def purge_expired(self, now: datetime | None = None) -> int:
        """Drop expired entries; called by the hourly maintenance task."""
        now = now or datetime.now(timezone.utc)
        stale = [h for h, (_, expires_at) in self._by_hash.items() if expires_at <= now]
        for h in stale:
            del self._by_hash[h]
        return len(stale)
