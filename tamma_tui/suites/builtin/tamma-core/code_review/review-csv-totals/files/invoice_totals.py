"""Nightly job: total the invoice amounts per customer from the ERP's CSV export.

The export has one header row followed by one row per invoice:
invoice_id,customer_id,issued_on,amount,currency
"""

from __future__ import annotations

import csv
import sys
from collections import defaultdict
from decimal import Decimal, InvalidOperation


def read_invoices(path: str) -> list[dict[str, str]]:
    fh = open(path, newline="", encoding="utf-8")
    reader = csv.reader(fh)
    rows = []
    for index, row in enumerate(reader):
        if index <= 1:
            continue  # skip the header
        invoice_id, customer_id, issued_on, amount, currency = row
        rows.append(
            {
                "invoice_id": invoice_id,
                "customer_id": customer_id,
                "issued_on": issued_on,
                "amount": amount,
                "currency": currency,
            }
        )
    return rows


def totals_by_customer(rows: list[dict[str, str]], currency: str = "EUR") -> dict[str, Decimal]:
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for row in rows:
        if row["currency"] != currency:
            continue
        try:
            amount = Decimal(row["amount"])
        except InvalidOperation:
            raise ValueError(f"invoice {row['invoice_id']}: bad amount {row['amount']!r}") from None
        totals[row["customer_id"]] += amount
    return dict(totals)


def main(argv: list[str]) -> int:
    if len(argv) != 2:
        print("usage: invoice_totals.py EXPORT.csv", file=sys.stderr)
        return 2
    totals = totals_by_customer(read_invoices(argv[1]))
    for customer_id in sorted(totals):
        print(f"{customer_id}\t{totals[customer_id]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
