"""Peer-to-peer transfers between customer wallets.

Balances are integer cents in the ``wallets`` table. The API runs several worker
threads, each with its own SQLite connection (default isolation level) to the same
database file. A client retries a transfer with the same idempotency key after a
network error and must not be charged twice.
"""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

MAX_TRANSFER_CENTS = 500_000


class TransferError(Exception):
    """Raised for transfers that must be rejected; the message is shown to the user."""


@dataclass(frozen=True)
class Transfer:
    id: int
    from_wallet: int
    to_wallet: int
    amount_cents: int


def _existing(conn: sqlite3.Connection, idempotency_key: str) -> Transfer | None:
    row = conn.execute(
        "SELECT id, from_wallet, to_wallet, amount_cents FROM transfers WHERE idempotency_key = ?",
        (idempotency_key,),
    ).fetchone()
    return Transfer(*row) if row else None


def transfer(
    conn: sqlite3.Connection,
    from_wallet: int,
    to_wallet: int,
    amount_cents: int,
    idempotency_key: str,
) -> Transfer:
    """Move ``amount_cents`` from one wallet to another exactly once per key."""
    if from_wallet == to_wallet:
        raise TransferError("cannot transfer to the same wallet")
    if amount_cents > MAX_TRANSFER_CENTS:
        raise TransferError("amount exceeds the per-transfer limit")

    previous = _existing(conn, idempotency_key)
    if previous is not None:
        return previous

    with conn:  # commits on success, rolls back if anything below raises
        (balance,) = conn.execute(
            "SELECT balance_cents FROM wallets WHERE id = ?", (from_wallet,)
        ).fetchone()
        if balance < amount_cents:
            raise TransferError("insufficient funds")
        conn.execute(
            "UPDATE wallets SET balance_cents = ? WHERE id = ?",
            (balance - amount_cents, from_wallet),
        )
        conn.execute(
            "UPDATE wallets SET balance_cents = balance_cents + ? WHERE id = ?",
            (amount_cents, to_wallet),
        )
        cursor = conn.execute(
            "INSERT INTO transfers (from_wallet, to_wallet, amount_cents, idempotency_key)"
            " VALUES (?, ?, ?, ?)",
            (from_wallet, to_wallet, amount_cents, idempotency_key),
        )
    return Transfer(cursor.lastrowid, from_wallet, to_wallet, amount_cents)


def statement(conn: sqlite3.Connection, wallet_id: int, limit: int = 50) -> list[Transfer]:
    """Latest transfers in or out of a wallet, newest first."""
    rows = conn.execute(
        "SELECT id, from_wallet, to_wallet, amount_cents FROM transfers"
        " WHERE from_wallet = ? OR to_wallet = ? ORDER BY id DESC LIMIT ?",
        (wallet_id, wallet_id, limit),
    ).fetchall()
    return [Transfer(*row) for row in rows]
