"""Edits spliced into JSON text, so a written file differs from the original only where the
change is: a replaced value keeps everything around it; a new key is added after the last
member of its object, in the object's own layout; a removed key takes its separator with it.

``locate(text)`` maps every value's path (a tuple of keys and indexes) to its span.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from json.decoder import scanstring
from typing import Any

_WS = re.compile(r"[ \t\n\r]*")
_NUMBER = re.compile(r"-?(?:0|[1-9]\d*)(?:\.\d+)?(?:[eE][-+]?\d+)?")


@dataclass
class Span:
    start: int
    end: int
    key_start: int | None = None  # for an object member: where its key begins
    # for objects: (open brace, close brace) positions
    close: int | None = None


def locate(text: str) -> dict[tuple, Span]:
    spans: dict[tuple, Span] = {}

    def ws(i: int) -> int:
        return _WS.match(text, i).end()

    def value(i: int, path: tuple, key_start: int | None) -> int:
        i = ws(i)
        ch = text[i]
        if ch == "{":
            j = ws(i + 1)
            if text[j] != "}":
                while True:
                    j = ws(j)
                    kstart = j
                    key, j = scanstring(text, j + 1)
                    j = ws(j)
                    assert text[j] == ":"
                    j = value(j + 1, path + (key,), kstart)
                    j = ws(j)
                    if text[j] == ",":
                        j += 1
                        continue
                    break
            assert text[j] == "}"
            spans[path] = Span(i, j + 1, key_start, close=j)
            return j + 1
        if ch == "[":
            j, n = ws(i + 1), 0
            if text[j] != "]":
                while True:
                    j = value(j, path + (n,), None)
                    n += 1
                    j = ws(j)
                    if text[j] == ",":
                        j += 1
                        continue
                    break
            assert text[j] == "]"
            spans[path] = Span(i, j + 1, key_start, close=j)
            return j + 1
        if ch == '"':
            _, j = scanstring(text, i + 1)
        elif text.startswith(("true", "null"), i):
            j = i + 4
        elif text.startswith("false", i):
            j = i + 5
        else:
            j = _NUMBER.match(text, i).end()
        spans[path] = Span(i, j, key_start)
        return j

    value(0, (), None)
    return spans


def _paths(a: Any, b: Any, path: tuple = ()) -> list[tuple[str, tuple]]:
    """(kind, path) edits that turn a into b: replace | add | remove (objects only)."""
    if isinstance(a, dict) and isinstance(b, dict):
        out: list[tuple[str, tuple]] = []
        for key in a:
            if key not in b:
                out.append(("remove", path + (key,)))
            else:
                out.extend(_paths(a[key], b[key], path + (key,)))
        out.extend(("add", path + (key,)) for key in b if key not in a)
        return out
    if a == b and type(a) is type(b):
        return []
    return [("replace", path)]


def _get(doc: Any, path: tuple) -> Any:
    for part in path:
        doc = doc[part]
    return doc


def _indent_of(text: str, pos: int) -> str:
    line_start = text.rfind("\n", 0, pos) + 1
    return _WS.match(text, line_start).group(0).replace("\n", "").replace("\r", "")


def _dump(value: Any, indent_unit: str | None, base_indent: str, ensure_ascii: bool) -> str:
    if indent_unit is None or not isinstance(value, (dict, list)) or not value:
        return json.dumps(value, ensure_ascii=ensure_ascii)
    body = json.dumps(value, ensure_ascii=ensure_ascii, indent=indent_unit)
    return body.replace("\n", "\n" + base_indent)


def splice(text: str, old: Any, new: Any, style: Any) -> str | None:
    """``text`` edited to hold ``new``, touching only what changed; None when an edit is
    not one this can place (the caller re-serialises). ``style``: its JsonStyle."""
    try:
        spans = locate(text)
    except (AssertionError, IndexError, ValueError, AttributeError):
        return None
    edits: list[tuple[int, int, str]] = []
    for kind, path in _paths(old, new):
        if not path:
            return None
        if kind == "replace":
            span = spans.get(path)
            if span is None:
                return None
            indent = _indent_of(text, span.key_start if span.key_start is not None else span.start)
            edits.append((span.start, span.end, _dump(_get(new, path), style.indent, indent, style.ensure_ascii)))
        elif kind == "add":
            parent = spans.get(path[:-1])
            if parent is None or parent.close is None:
                return None
            siblings = [p for p in spans if len(p) == len(path) and p[:-1] == path[:-1]]
            value = _get(new, path)
            key = json.dumps(path[-1], ensure_ascii=style.ensure_ascii)
            if siblings:
                last = max((spans[p] for p in siblings), key=lambda s: s.end)
                first = min((spans[p] for p in siblings), key=lambda s: s.key_start or 0)
                gap = text[parent.start + 1:first.key_start]  # the layout before the first member
                indent = _indent_of(text, first.key_start)
                sep = ": " if ": " in text[first.key_start:first.start] else ":"
                member = f"{key}{sep}{_dump(value, style.indent, indent, style.ensure_ascii)}"
                edits.append((last.end, last.end, "," + (gap if "\n" in gap else " ") + member))
            else:
                indent = _indent_of(text, parent.start)
                inner = indent + (style.indent or "")
                member = f"{key}: {_dump(value, style.indent, inner, style.ensure_ascii)}"
                if style.indent is None:
                    edits.append((parent.start + 1, parent.close, member))
                else:
                    edits.append((parent.start + 1, parent.close, f"\n{inner}{member}\n{indent}"))
        else:  # remove: the member and one separator
            span = spans.get(path)
            if span is None or span.key_start is None:
                return None
            siblings = sorted((spans[p] for p in spans if len(p) == len(path) and p[:-1] == path[:-1]),
                              key=lambda s: s.start)
            at = siblings.index(span)
            if at > 0:
                edits.append((siblings[at - 1].end, span.end, ""))
            elif len(siblings) > 1:
                edits.append((span.key_start, siblings[1].key_start, ""))
            else:
                parent = spans[path[:-1]]
                edits.append((parent.start + 1, parent.close, ""))
    edits.sort(key=lambda e: e[0], reverse=True)
    for a, b in zip(edits, edits[1:]):
        if b[1] > a[0]:
            return None  # overlapping edits: let the caller re-serialise
    out = text
    for start, end, replacement in edits:
        out = out[:start] + replacement + out[end:]
    try:
        if json.loads(out) != new:
            return None
    except ValueError:
        return None
    return out
