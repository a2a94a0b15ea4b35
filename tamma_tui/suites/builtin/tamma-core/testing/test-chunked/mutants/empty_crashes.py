"""Split sequences into fixed-size pieces."""


def chunked(items, size):
    """Consecutive chunks of `size` items (lists); the last one may be shorter.

    `size` must be a positive int, else ValueError. An empty input gives [].
    """
    if not isinstance(size, int) or size <= 0:
        raise ValueError("size must be a positive integer")
    items = list(items)
    return [items[i:i + size] for i in range(0, len(items), size)]


def pad_last(chunks, size, fill=None):
    """Copy of `chunks` whose last chunk is padded with `fill` up to `size` items."""
    if chunks is None:
        return []
    out = [list(c) for c in chunks]
    out[-1].extend([fill] * (size - len(out[-1])))
    return out
