"""Shorten text for one-line displays."""


def truncate(text, width, suffix="..."):
    """`text` if it fits in `width` characters, else cut so that the result, suffix
    included, is exactly `width` long. Raises ValueError when width < len(suffix)."""
    if width < 0:
        raise ValueError("width too small for the suffix")
    if len(text) <= width:
        return text
    return text[: width - len(suffix)] + suffix


def truncate_words(text, width, suffix="..."):
    """Like truncate, but never cuts inside a word when a space allows it (a single
    long word is cut hard)."""
    if len(text) <= width:
        return text
    room = width - len(suffix)
    if room < 0:
        raise ValueError("width too small for the suffix")
    head = text[:room]
    if text[room:room + 1] != " ":  # inside a word: back up to the last space
        space = head.rfind(" ")
        if space > 0:
            head = head[:space]
    return head.rstrip() + suffix
