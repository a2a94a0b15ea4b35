"""Issue 11 §4: what is stored of one answer is capped; the hash still covers all of it,
and the grade's integrity verdict is recorded."""

from __future__ import annotations

import hashlib

from test_trial_record import STARTED, record

from tamma_tui.engine.retry import Attempts
from tamma_tui.engine.trial import MAX_STORED_ANSWER_CHARS, STORED_ANSWER_CUT_MARK, CallOutcome
from tamma_tui.providers.base import Completion
from tamma_tui.suites.model import Grade


def _call(text: str) -> CallOutcome:
    return CallOutcome(Completion(text=text, prompt_tokens=1, completion_tokens=1, latency_s=0.1),
                       None, Attempts(count=1), STARTED)


def test_large_answer_is_cut_but_hashed_whole():
    text = "x" * (MAX_STORED_ANSWER_CHARS * 3)
    rec = record(_call(text), Grade(False, 0.0, {}))
    assert len(rec.response_text) == MAX_STORED_ANSWER_CHARS + len(STORED_ANSWER_CUT_MARK)
    assert rec.response_text.endswith(STORED_ANSWER_CUT_MARK)
    assert rec.response_hash == hashlib.sha256(text.encode()).hexdigest()


def test_small_answer_is_stored_as_is_with_its_integrity():
    rec = record(_call("short"), Grade(False, 0.0, {}, integrity="void"))
    assert rec.response_text == "short" and rec.grade_integrity == "void"
