"""The typed trial: TrialRecord matches the store's Trial table column for column, and
build_record prices, grades and maps errors as the engine always has."""

from __future__ import annotations

import dataclasses
from datetime import datetime, timezone

import pytest

from tamma_tui.config.models import AgentConfig, Pricing
from tamma_tui.engine.retry import Attempts
from tamma_tui.engine.trial import CallOutcome, TrialRecord, build_record
from tamma_tui.providers.base import Completion, ProviderError
from tamma_tui.store.models import Trial
from tamma_tui.suites.model import Grade, Task

CONFIG = AgentConfig.model_validate({
    "agentId": "a", "provider": "simulated", "model": "sim-medium",
    "context": {"window_tokens": 1000},
    "pricing": {"input_per_mtok": 2.0, "output_per_mtok": 8.0, "cached_input_per_mtok": 0.5},
})
TASK = Task(id="t1", context="development", prompt="p", grader={"kind": "match", "expected": "x"}, suite="s")
STARTED = datetime(2026, 1, 1, tzinfo=timezone.utc)


def record(call: CallOutcome, grade: Grade | None = None, grade_error: str | None = None) -> TrialRecord:
    return build_record(run_id=7, arm="baseline", sha256="ab" * 32, config=CONFIG, task=TASK, repeat=2,
                        call=call, grade=grade, grade_error=grade_error, position=None)


def test_the_record_has_exactly_the_trial_columns():
    columns = {c for c in Trial.__table__.columns.keys() if c != "id"}
    assert {f.name for f in dataclasses.fields(TrialRecord)} == columns
    with pytest.raises(dataclasses.FrozenInstanceError):
        record(CallOutcome(None, ProviderError("timeout", "slow"), Attempts(count=3), STARTED)).status = "ok"


def test_a_graded_answer_is_priced_with_cached_tokens():
    done = Completion("x", prompt_tokens=400, completion_tokens=50, latency_s=2.0, ttft_s=0.5,
                      finish_reason="stop", cached_prompt_tokens=100)
    rec = record(CallOutcome(done, None, Attempts(count=2, last_kind="rate_limited", last_message="429"), STARTED),
                 Grade(True, 1.0, {"k": 1}))
    assert rec.cost_usd == pytest.approx((300 * 2.0 + 100 * 0.5 + 50 * 8.0) / 1e6)
    assert rec.cost_usd == Pricing(input_per_mtok=2.0, output_per_mtok=8.0, cached_input_per_mtok=0.5).cost(400, 50, 100)
    assert (rec.status, rec.passed, rec.score, rec.context_utilization) == ("ok", True, 1.0, 0.4)
    assert rec.error_message.startswith("succeeded after 2 attempts") and rec.grade_details == '{"k":1}'
    row = rec.as_row()
    assert row["repeat"] == 2 and row["response_text"] == "x" and len(row) == len(dataclasses.fields(TrialRecord))


def test_errors_map_to_status_and_kind():
    timeout = record(CallOutcome(None, ProviderError("timeout", "no answer in 5 s"), Attempts(count=3), STARTED))
    assert (timeout.status, timeout.error_kind, timeout.passed, timeout.cost_usd) == ("timeout", "timeout", None, 0.0)
    refused = record(CallOutcome(None, ProviderError("client_error", "HTTP 401"), Attempts(count=1), STARTED))
    assert (refused.status, refused.error_kind) == ("error", "client_error")
    done = Completion("x", 10, 5, 1.0)
    broken = record(CallOutcome(done, None, Attempts(count=1), STARTED), grade_error="grader failed: boom")
    assert (broken.status, broken.error_kind, broken.response_text) == ("error", "grader_error", "x")
