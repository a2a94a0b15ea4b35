"""Data for the customer's "My orders" page and the order detail view."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

TAX_RATE = Decimal("0.20")
CENT = Decimal("0.01")


@dataclass
class OrderSummary:
    order_id: int
    placed_at: str
    item_count: int
    subtotal: Decimal
    discount: Decimal
    tax: Decimal
    total: Decimal


def _money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


def _summarise(order_id: int, placed_at: str, discount_percent: int | None, lines: list[tuple]) -> OrderSummary:
    subtotal = sum((Decimal(str(price)) * qty for qty, price in lines), Decimal(0))
    discount = _money(Decimal(discount_percent or 0))
    tax = _money((subtotal - discount) * TAX_RATE)
    return OrderSummary(
        order_id=order_id,
        placed_at=placed_at,
        item_count=sum(qty for qty, _ in lines),
        subtotal=_money(subtotal),
        discount=discount,
        tax=tax,
        total=_money(subtotal - discount + tax),
    )


def order_summaries(conn: sqlite3.Connection, customer_id: int) -> list[OrderSummary]:
    """All orders of one customer, newest first."""
    orders = conn.execute(
        "SELECT id, placed_at, discount_percent FROM orders WHERE customer_id = ? ORDER BY placed_at DESC",
        (customer_id,),
    ).fetchall()
    summaries = []
    for order_id, placed_at, discount_percent in orders:
        lines = conn.execute(
            "SELECT quantity, unit_price FROM order_lines WHERE order_id = ?",
            (order_id,),
        ).fetchall()
        summaries.append(_summarise(order_id, placed_at, discount_percent, lines))
    return summaries


def order_detail(conn: sqlite3.Connection, customer_id: int, order_id: int) -> OrderSummary | None:
    """One order for the detail view; ``order_id`` comes from the URL."""
    row = conn.execute(
        "SELECT id, placed_at, discount_percent FROM orders WHERE id = ?",
        (order_id,),
    ).fetchone()
    if row is None:
        return None
    lines = conn.execute(
        "SELECT quantity, unit_price FROM order_lines WHERE order_id = ?", (order_id,)
    ).fetchall()
    return _summarise(row[0], row[1], row[2], lines)
