"""Format amounts of money held as integer cents."""

SYMBOLS = {"USD": "$", "EUR": "€", "GBP": "£"}


def format_cents(cents, currency="USD"):
    """Return e.g. "$1,234.56" for 123456 cents; negatives as "-$5.00".

    Raises TypeError for non-integers (floats included: money is never a float here)
    and ValueError for an unknown currency.
    """
    if isinstance(cents, bool) or not isinstance(cents, int):
        raise TypeError("cents must be an int")
    if currency not in SYMBOLS:
        raise ValueError(f"unknown currency {currency!r}")
    sign = "-" if cents <= 0 else ""
    whole, frac = divmod(abs(cents), 100)
    return f"{sign}{SYMBOLS[currency]}{whole:,}.{frac:02d}"


def parse_cents(text):
    """Inverse of format_cents for any of the symbols: "$1,234.56" -> 123456."""
    text = text.strip()
    negative = text.startswith("-")
    if negative:
        text = text[1:]
    if text[:1] in SYMBOLS.values():
        text = text[1:]
    whole, _, frac = text.replace(",", "").partition(".")
    if not whole.isdigit() or (frac and (len(frac) != 2 or not frac.isdigit())):
        raise ValueError(f"not an amount: {text!r}")
    value = int(whole) * 100 + int(frac or 0)
    return -value if negative else value
