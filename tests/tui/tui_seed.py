"""A small, fully deterministic database for the app's tests and snapshots."""

from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlmodel import Session

from tamma_tui.store.db import open_database
from tamma_tui.store.models import ConfigVersion, Experiment, Run, RunArm, Trial

T0 = datetime(2026, 11, 2, 9, 30, tzinfo=timezone.utc)
CONTEXTS = ("development", "code_review", "testing")
TASKS_PER_CONTEXT = 12

YAML_V1 = "agentId: tamma-dev\nmodel: sim-medium\nprovider: simulated\nsystemPrompt: Be careful.\nversion: 1\n"
YAML_V2 = "agentId: tamma-dev\nmodel: sim-medium\nprovider: simulated\nsystemPrompt: Be careful and brief.\nversion: 2\n"
YAML_TERSE = "agentId: tamma-terse\nmodel: sim-medium\nprovider: simulated\nsystemPrompt: Answer tersely.\nversion: 1\n"
SHA_V1, SHA_V2, SHA_TERSE = "a1" * 32, "b2" * 32, "c3" * 32


def _passes(arm: str, i: int, run_index: int) -> bool:
    # Baseline passes half the tasks; terse passes those and most others: a clear win.
    if arm == "baseline":
        return i % 2 == 0
    return i % 2 == 0 or i % 6 != 1 or run_index == 0 and i % 12 == 5


def _trials(run_id: int, arms: list[str], run_index: int, n_per_context: int) -> list[Trial]:
    rows = []
    for arm in arms:
        for c, ctx in enumerate(CONTEXTS):
            for i in range(n_per_context):
                k = c * n_per_context + i
                passed = _passes(arm, k, run_index)
                error = arm == "baseline" and k == 7
                rows.append(Trial(
                    run_id=run_id, arm=arm, task_id=f"{ctx[:3]}-{i:03d}", context=ctx, repeat=0,
                    status="error" if error else "ok",
                    passed=None if error else passed,
                    score=None if error else (1.0 if passed else 0.25 + (k % 3) * 0.1),
                    latency_s=1.0 + (k % 5) * 0.2 + (0.3 if arm == "baseline" else 0.0),
                    ttft_s=0.2 + (k % 3) * 0.05,
                    prompt_tokens=900 + k * 3, completion_tokens=200 + (k % 7) * 10,
                    cost_usd=0.0004 + (k % 4) * 0.0001,
                    context_window=32768, context_utilization=0.03 + (k % 4) * 0.001,
                    error_kind="timeout" if error else None,
                    error_message="timed out after 120s" if error else None,
                    response_text=f"{arm} answer to {ctx[:3]}-{i:03d}:\n```python\ndef f(x):\n    return x\n```",
                    grade_details=None if error else json.dumps(
                        {"tests_passed": 4 if passed else 1, "tests_total": 4}),
                    config_sha256=SHA_V1 if arm == "baseline" else SHA_TERSE,
                ))
    return rows


def seed_database(path: Path) -> dict[str, int]:
    engine = open_database(path)
    with Session(engine) as s:
        s.add(ConfigVersion(sha256=SHA_V1, agent_id="tamma-dev", name="Tamma developer agent",
                            version="1", provider="simulated", model="sim-medium",
                            canonical_yaml=YAML_V1, created_at=T0))
        s.add(ConfigVersion(sha256=SHA_V2, agent_id="tamma-dev", name="Tamma developer agent",
                            version="2", provider="simulated", model="sim-medium",
                            canonical_yaml=YAML_V2, created_at=T0 + timedelta(days=2)))
        s.add(ConfigVersion(sha256=SHA_TERSE, agent_id="tamma-terse", name="Terse agent",
                            version="1", provider="simulated", model="sim-medium",
                            canonical_yaml=YAML_TERSE, created_at=T0))
        exp = Experiment(name="terse-vs-baseline", spec_yaml="name: terse-vs-baseline\nbaseline: b.yaml\n",
                         spec_sha256="d4" * 32, source_path=None, created_at=T0)
        s.add(exp)
        s.flush()
        analysis = {"alpha": 0.05, "correction": "holm", "primary_metric": "pass_rate",
                    "guardrails": [{"metric": "cost_usd", "margin": 0.001}]}
        ids = {}
        for index, (name, status, base_sha, created) in enumerate((
            ("terse-vs-baseline", "completed", SHA_V1, T0 + timedelta(hours=1)),
            ("terse-vs-baseline-2", "completed", SHA_V2, T0 + timedelta(days=3)),
            ("terse-vs-baseline-3", "cancelled", SHA_V2, T0 + timedelta(days=4)),
        )):
            n = TASKS_PER_CONTEXT if index < 2 else 4
            run = Run(name=name, experiment_id=exp.id, status=status, suite="tamma-core",
                      contexts=",".join(CONTEXTS), trials_per_task=1, seed=7,
                      total_trials=2 * len(CONTEXTS) * TASKS_PER_CONTEXT, budget_usd=5.0,
                      analysis_json=json.dumps(analysis), cost_usd=0.0123, created_at=created)
            s.add(run)
            s.flush()
            s.add(RunArm(run_id=run.id, name="baseline", is_baseline=True, position=0, config_sha256=base_sha))
            s.add(RunArm(run_id=run.id, name="terse", is_baseline=False, position=1, config_sha256=SHA_TERSE))
            for t in _trials(run.id, ["baseline", "terse"], index, n):
                s.add(t)
            ids[name] = run.id
        s.commit()
        ids["experiment"] = exp.id
    return ids
