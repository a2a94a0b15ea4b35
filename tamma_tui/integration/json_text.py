"""JSON written back in the style it was read: indent, key order, unknown keys, non-ASCII
characters and the final newline. An unchanged document is written back byte for byte.

Python dicts keep insertion order, so a parsed document re-serialised keeps its key order;
the indent is taken from the first indented line. A document whose layout is not one
``json.dumps`` can reproduce (hand-aligned, comments are not JSON anyway) is still written
correctly, but its diff may show more than the change: ``reproducible()`` says which.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class JsonStyle:
    indent: str | None
    ensure_ascii: bool
    newline: str  # the text after the closing brace ("\n", "" or "\r\n")
    compact: bool = False

    def dump(self, data: Any) -> str:
        if self.indent is None:
            seps = (",", ":") if self.compact else (", ", ": ")
            body = json.dumps(data, ensure_ascii=self.ensure_ascii, separators=seps)
        else:
            body = json.dumps(data, ensure_ascii=self.ensure_ascii, indent=self.indent)
        return body + self.newline


def detect_style(text: str) -> JsonStyle:
    newline = text[len(text.rstrip()):]
    match = re.search(r"\n([ \t]+)\S", text)
    indent = match.group(1) if match else None
    compact = indent is None and ", " not in text and ": " not in text
    return JsonStyle(indent=indent, ensure_ascii=bool(re.search(r"\\u[0-9a-fA-F]{4}", text)),
                     newline=newline, compact=compact)


def parse(text: str, where: str) -> Any:
    from tamma_tui.errors import BadInput

    try:
        return json.loads(text)
    except json.JSONDecodeError as exc:
        raise BadInput(f"malformed JSON: {exc.msg}", file=where, field=f"line {exc.lineno}, column {exc.colno}") from None


def reproducible(text: str) -> bool:
    return detect_style(text).dump(json.loads(text)) == text


def rewrite(original: str, data: Any) -> str:
    """``data`` serialised in ``original``'s style (``original`` itself when nothing changed)."""
    old = json.loads(original)
    if old == data and type(old) is type(data):
        return original
    from .json_spans import splice

    edited = splice(original, old, data, detect_style(original))
    return edited if edited is not None else detect_style(original).dump(data)


def canonical(data: Any) -> str:
    return json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


def leaf_paths(a: Any, b: Any, prefix: str = "") -> list[str]:
    """Dotted paths where two JSON values differ (the fields that moved)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[str] = []
        for key in list(a) + [k for k in b if k not in a]:
            at = f"{prefix}.{key}" if prefix else str(key)
            if key not in a or key not in b:
                out.append(at)
            else:
                out.extend(leaf_paths(a[key], b[key], at))
        return out
    if isinstance(a, list) and isinstance(b, list) and len(a) == len(b):
        out = []
        for i, (x, y) in enumerate(zip(a, b)):
            out.extend(leaf_paths(x, y, f"{prefix}[{i}]"))
        return out
    return [] if a == b and type(a) is type(b) else [prefix or "(document)"]
