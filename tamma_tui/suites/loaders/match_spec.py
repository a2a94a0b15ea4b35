"""Validation of a match grader spec, shared by task folders and match JSONL."""

from __future__ import annotations

import re

from tamma_tui.suites.model import MATCH_MODES

from ._common import Fields


def match_grader(fields: Fields, mode_key: str = "mode") -> dict:
    expected = fields.string("expected", allow_empty=False)
    mode = fields.choice(mode_key, MATCH_MODES, "exact")
    if mode == "regex":
        try:
            re.compile(expected)
        except re.error as exc:
            raise fields.fail("expected", f"invalid regular expression: {exc}") from None
    return {"kind": "match", "expected": expected, "mode": mode}
