"""Render invoices as HTML for e-mails and for the PDF generator.

Line descriptions are free text: customers can personalise products (engravings,
gift messages) in the shop, and that text ends up on the invoice. ``locale`` comes
from the customer's browser preference; unsupported locales fall back to English.
"""

from __future__ import annotations

import html
from dataclasses import dataclass
from decimal import Decimal

LABELS = {
    "en": {"title": "Invoice", "greeting": "Dear", "total": "Total", "qty": "Qty"},
    "de": {"title": "Rechnung", "greeting": "Sehr geehrte/r", "total": "Summe", "qty": "Menge"},
    "fr": {"title": "Facture", "greeting": "Bonjour", "total": "Total", "qty": "Qté"},
}

PAGE = (
    "<html><body><h1>{title} {invoice_id}</h1><p>{greeting} {customer},</p>"
    "<table><tr><th></th><th>{qty}</th><th></th><th></th></tr>{rows}</table>"
    "<p class='total'>{total_label}: {total}</p></body></html>"
)
ROW = "<tr><td>{description}</td><td>{quantity}</td><td>{price}</td><td>{amount}</td></tr>"


@dataclass(frozen=True)
class Line:
    description: str
    quantity: int
    unit_price: Decimal


@dataclass(frozen=True)
class Invoice:
    id: str
    customer_name: str
    currency: str
    lines: tuple[Line, ...]


_rendered: dict[tuple[str, str], str] = {}


def format_money(amount: Decimal, currency: str, locale: str) -> str:
    text = f"{amount:,.2f}"
    if locale in ("de", "fr"):
        # 1,234.50 -> 1 234,50 (thin formatting, good enough for both locales)
        text = text.replace(",", " ").replace(".", ",")
    return f"{text} {currency}"


def render_invoice(invoice: Invoice, locale: str = "en") -> str:
    """HTML for one invoice; rendering is cached because PDFs re-render often."""
    key = (invoice.id, invoice.currency)
    if key in _rendered:
        return _rendered[key]

    labels = LABELS[locale]
    rows = []
    total = Decimal("0")
    for line in invoice.lines:
        amount = line.unit_price * line.quantity
        total += amount
        rows.append(
            ROW.format(
                description=line.description,
                quantity=line.quantity,
                price=format_money(line.unit_price, invoice.currency, locale),
                amount=format_money(amount, invoice.currency, locale),
            )
        )

    page = PAGE.format(
        title=labels["title"],
        invoice_id=html.escape(invoice.id),
        greeting=labels["greeting"],
        customer=html.escape(invoice.customer_name),
        qty=labels["qty"],
        rows="".join(rows),
        total_label=labels["total"],
        total=format_money(total, invoice.currency, locale),
    )
    _rendered[key] = page
    return page
