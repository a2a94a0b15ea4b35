"""Pull code and JSON out of a free-form agent reply. Parsing only: nothing is executed."""

from __future__ import annotations

import ast
import json
import re
from typing import Any

_OPEN_FENCE = re.compile(r"[ \t]*(```+|~~~+)[ \t]*([\w+#.-]*)[^\n]*")
PYTHON_TAGS = {"python", "py", "python3", "py3"}


def fenced_blocks(text: str) -> list[tuple[str, str]]:
    """[(language tag, body)] of every closed fenced block, in order; a reply cut off inside
    a final unclosed block still yields that block (marked with tag + ':unclosed').

    One pass over the lines (linear in the reply): a backtracking regex across the whole
    reply was quadratic, and an 80 KB reply of unclosed fences stalled a run for seconds.
    """
    blocks: list[tuple[str, str]] = []
    fence = tag = None
    body_start = 0
    pos = 0
    n = len(text)
    while pos < n:
        end = text.find("\n", pos)
        line_end = n if end < 0 else end
        next_pos = n if end < 0 else end + 1
        line = text[pos:line_end]
        if fence is None:
            m = _OPEN_FENCE.match(line)
            if m and end >= 0:  # an opening fence needs a following line
                fence, tag, body_start = m.group(1), m.group(2).lower(), next_pos
        else:
            stripped = line.strip(" \t")
            if stripped == fence:
                blocks.append((tag, text[body_start:pos]))
                fence = None
        pos = next_pos
    if fence is not None:
        blocks.append((tag + ":unclosed", text[body_start:]))
    return blocks


def parses(source: str) -> bool:
    try:
        ast.parse(source)
    except (SyntaxError, ValueError, MemoryError, RecursionError):
        return False
    return True


def extract_python(text: str) -> tuple[str | None, str]:
    """The module the reply offers, and where it came from.

    Preference: the largest python-tagged block that parses; then the largest untagged block
    that parses; then the whole reply if it parses; else the largest python block as it is
    (so the grade can report the syntax error).
    """
    blocks = fenced_blocks(text or "")
    tagged = [b for tag, b in blocks if tag.split(":")[0] in PYTHON_TAGS]
    untagged = [b for tag, b in blocks if tag.split(":")[0] == ""]
    for group, origin in ((tagged, "python block"), (untagged, "untagged block")):
        good = [b for b in group if b.strip() and parses(b)]
        if good:
            return max(good, key=len), origin
    if text and text.strip() and not blocks and parses(text):
        return text, "whole reply"
    if tagged or untagged:
        return max(tagged or untagged, key=len), "block with syntax error"
    return None, "none"


def _json_candidates(text: str):
    for tag, body in fenced_blocks(text):
        if tag.split(":")[0] in ("json", "", "javascript", "js"):
            yield body
    yield text


def extract_json(text: str) -> Any | None:
    """The first JSON object or array found in a ```json block or anywhere in the reply."""
    decoder = json.JSONDecoder()
    for candidate in _json_candidates(text or ""):
        stripped = candidate.strip()
        try:
            return json.loads(stripped)
        except ValueError:
            pass
        for m in re.finditer(r"[\[{]", candidate):
            try:
                value, _ = decoder.raw_decode(candidate, m.start())
            except ValueError:
                continue
            if isinstance(value, dict) or (isinstance(value, list) and value
                                           and isinstance(value[0], dict)):
                return value
    return None
