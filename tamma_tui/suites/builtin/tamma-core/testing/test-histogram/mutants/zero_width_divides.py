"""Bucket numbers into fixed-width bins for quick text histograms."""
import math


def bin_counts(values, width, origin=0.0):
    """{bin_start: count} for bins [origin + k*width, origin + (k+1)*width), sorted.
    Negative values land in negative bins (floor, not truncation). width must be > 0."""
    if width < 0:
        raise ValueError("width must be positive")
    counts = {}
    for v in values:
        k = math.floor((v - origin) / width)
        start = origin + k * width
        counts[start] = counts.get(start, 0) + 1
    return dict(sorted(counts.items()))


def render(counts, bar="#", scale=1):
    """One line per bin, "start | ###"; each `scale` items make one bar character
    (partial characters round up so a non-empty bin is never invisible)."""
    if scale < 1:
        raise ValueError("scale must be >= 1")
    lines = []
    for start, n in counts.items():
        lines.append(f"{start:g} | {bar * math.ceil(n / scale)}")
    return "\n".join(lines)
