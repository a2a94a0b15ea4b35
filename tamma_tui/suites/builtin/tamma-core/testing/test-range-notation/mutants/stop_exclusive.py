"""Compress sorted integers into range notation and expand it back."""


def compress(numbers):
    """[1, 2, 3, 5, 7, 8] -> "1-3,5,7-8". Input is deduplicated and sorted first."""
    values = sorted(set(numbers))
    parts = []
    i = 0
    while i < len(values):
        j = i
        while j + 1 < len(values) and values[j + 1] == values[j] + 1:
            j += 1
        if j == i:
            parts.append(str(values[i]))
        else:
            parts.append(f"{values[i]}-{values[j]}")
        i = j + 1
    return ",".join(parts)


def expand(text):
    """"1-3,5" -> [1, 2, 3, 5]. Blank input gives []. Raises ValueError for a reversed
    range ("5-3") or anything that is not a number or a range."""
    out = []
    for part in filter(None, (p.strip() for p in text.split(","))):
        low, dash, high = part.partition("-")
        if not low.isdigit() or (dash and not high.isdigit()):
            raise ValueError(f"bad range part {part!r}")
        start, stop = int(low), int(high) if dash else int(low)
        if stop < start:
            raise ValueError(f"reversed range {part!r}")
        out.extend(range(start, stop))
    return out
