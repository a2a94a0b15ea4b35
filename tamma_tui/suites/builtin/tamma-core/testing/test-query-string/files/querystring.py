"""Parse and build URL query strings (percent-encoding via urllib.parse)."""
from urllib.parse import quote, unquote_plus


def parse_query(query):
    """"a=1&b=2&a=3" -> {"a": ["1", "3"], "b": ["2"]}. A leading "?" is ignored, "+"
    is a space, a key without "=" gets "", empty pieces ("a=1&&b=2") are skipped."""
    if query.startswith("?"):
        query = query[1:]
    out = {}
    for piece in query.split("&"):
        if not piece:
            continue
        key, _, value = piece.partition("=")
        out.setdefault(unquote_plus(key), []).append(unquote_plus(value))
    return out


def build_query(params):
    """Inverse of parse_query: keys sorted, list values repeated, None skipped."""
    pieces = []
    for key in sorted(params):
        values = params[key]
        if not isinstance(values, (list, tuple)):
            values = [values]
        for value in values:
            if value is None:
                continue
            pieces.append(f"{quote(str(key), safe='')}={quote(str(value), safe='')}")
    return "&".join(pieces)
