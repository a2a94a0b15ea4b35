"""Find free time in a day given busy intervals (minutes since midnight)."""


def merge_busy(busy):
    """Sort and merge overlapping or touching (a, b) intervals; a < b required."""
    for a, b in busy:
        if a >= b:
            raise ValueError(f"empty or reversed interval {(a, b)}")
    merged = []
    for a, b in sorted(busy):
        if merged and a <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], b)
        else:
            merged.append([a, b])
    return [tuple(m) for m in merged]


def free_slots(busy, day_start=9 * 60, day_end=17 * 60, min_length=30):
    """Free (start, end) gaps of at least `min_length` minutes inside the working day.
    Busy time outside the day is clipped away."""
    if day_start >= day_end:
        raise ValueError("day_start must be before day_end")
    slots = []
    cursor = day_start
    for a, b in merge_busy(busy):
        a, b = max(a, day_start), min(b, day_end)
        if a >= b:
            continue
        if a - cursor >= min_length:
            slots.append((cursor, a))
        cursor = max(cursor, b)
    if day_end - cursor >= min_length:
        slots.append((cursor, day_end))
    return slots
