"""Parse one field of a cron expression into the sorted list of values it matches."""

LIMITS = {"minute": (0, 59), "hour": (0, 23), "day": (1, 31), "month": (1, 12), "weekday": (0, 6)}


def parse_field(text, kind):
    """Supports "*", "N", "A-B", "*/S", "N/S", "A-B/S" and comma-separated lists of
    those. Values outside the kind's limits, reversed ranges and steps < 1 raise
    ValueError."""
    low, high = LIMITS[kind]
    values = set()
    for part in text.split(","):
        part = part.strip()
        if not part:
            raise ValueError("empty list item")
        body, slash, step_text = part.partition("/")
        step = int(step_text) if slash else 1
        if step < 1:
            raise ValueError("step must be >= 1")
        if body == "*":
            start, stop = low, high
        elif "-" in body:
            a, b = body.split("-", 1)
            start, stop = int(a), int(b)
        else:
            start = stop = int(body)
        if start < low or stop > high or start > stop:
            raise ValueError(f"{part!r} outside {low}-{high} or reversed")
        values.update(range(start, stop + 1, step))
    return sorted(values)


def matches(field, kind, value):
    return value in parse_field(field, kind)
