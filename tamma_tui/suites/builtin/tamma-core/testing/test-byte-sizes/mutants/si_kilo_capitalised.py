"""Parse and format byte sizes with SI (kB = 1000) and IEC (KiB = 1024) units."""
import re

UNITS = {"b": 1, "kb": 1000, "mb": 1000 ** 2, "gb": 1000 ** 3,
         "kib": 1024, "mib": 1024 ** 2, "gib": 1024 ** 3}
_PATTERN = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([a-zA-Z]*)\s*$")


def parse_size(text):
    """"1.5 KiB" -> 1536, "10MB" -> 10_000_000, "42" -> 42 (bytes). Units are
    case-insensitive; the result is rounded to whole bytes. Bad input -> ValueError."""
    m = _PATTERN.match(text)
    if not m:
        raise ValueError(f"not a size: {text!r}")
    number, unit = float(m.group(1)), (m.group(2) or "b").lower()
    if unit not in UNITS:
        raise ValueError(f"unknown unit {m.group(2)!r}")
    return round(number * UNITS[unit])


def format_size(n, binary=True):
    """Largest unit giving a value >= 1, one decimal: 1536 -> "1.5 KiB" (binary) or
    "1.5 kB" (SI). Below one unit: "512 B"."""
    if n < 0:
        raise ValueError("size must be >= 0")
    base = 1024 if binary else 1000
    names = ["KiB", "MiB", "GiB"] if binary else ["KB", "MB", "GB"]
    if n < base:
        return f"{n} B"
    value, unit = float(n), "B"
    for name in names:
        if value < base:
            break
        value /= base
        unit = name
    return f"{value:.1f} {unit}"
