"""Shared pieces of the sharing tests: a stored run full of canaries, a live share-server."""

from __future__ import annotations

import threading
from contextlib import contextmanager
from datetime import datetime, timezone
from pathlib import Path

from sqlmodel import Session

from tamma_tui.config.models import AgentConfig
from tamma_tui.store import repo
from tamma_tui.store.db import open_database

CANARY_PROMPT = "CANARY-PROMPT-7f3a You are the secret reviewer of ACME"
CANARY_REPO = "/home/alice/src/acme-payments-CANARY-REPO"
CANARY_KEY = "sk-CANARYKEY0123456789abcdef"
CANARY_ANSWER = "CANARY-ANSWER-def-solve"
CANARY_TOOL = "acme_internal_deploy_CANARY_TOOL"
CANARIES = (CANARY_PROMPT, CANARY_REPO, CANARY_KEY, CANARY_ANSWER, CANARY_TOOL, "CANARY")


def agent(name: str, *, temperature: float = 0.2, model: str = "qwen2.5-coder:7b") -> AgentConfig:
    return AgentConfig(
        agentId=f"acme-{name}", name=f"ACME {name} agent CANARY", provider="openai", model=model,
        systemPrompt=CANARY_PROMPT, tools=[{"name": CANARY_TOOL, "description": CANARY_REPO}],
        parameters={"temperature": temperature}, base_url="https://llm.acme.internal/CANARY/v1",
        api_key_env="ACME_CANARY_KEY_ENV",
    )


def make_run(db: Path, *, suite: str = "tamma-core", pass_rates: dict[str, float] | None = None,
             model: str = "qwen2.5-coder:7b") -> int:
    """A completed run of two arms over the suite's real tasks; every text column is a canary."""
    from tamma_tui.suites.registry import load_suite

    pass_rates = pass_rates or {"development": 0.7, "code_review": 0.5, "testing": 0.9}
    engine = open_database(db)
    tasks = load_suite(suite).tasks
    with Session(engine) as session:
        shas = [repo.register_config(session, agent(n, temperature=t, model=model), source_path=CANARY_REPO)
                for n, t in (("base", 0.2), ("cool", 0.0))]
        run_id = repo.create_run(session, name=f"run in {CANARY_REPO}", suite=suite,
                                 arms=[("baseline", True, shas[0]), ("cool", False, shas[1])],
                                 contexts=["development", "code_review", "testing"], seed=424242,
                                 status="completed")
        session.commit()
    rows = []
    for arm in ("baseline", "cool"):
        by_ctx: dict[str, int] = {}
        for task in tasks:
            i = by_ctx.get(task.context, 0)
            by_ctx[task.context] = i + 1
            n = sum(1 for t in tasks if t.context == task.context)
            passed = i < round(pass_rates.get(task.context, 0.5) * n)
            rows.append({"run_id": run_id, "arm": arm, "task_id": task.id, "context": task.context,
                         "repeat": 0, "status": "ok", "passed": passed, "score": 1.0 if passed else 0.3,
                         "latency_s": 3.3, "prompt_tokens": 900, "completion_tokens": 200,
                         "cost_usd": 0.0021, "response_text": CANARY_ANSWER,
                         "error_message": CANARY_KEY, "response_hash": "abc",
                         "started_at": datetime(2026, 12, 1, 13, 37, 21, tzinfo=timezone.utc)})
    repo.insert_trials(engine, rows)
    return run_id


@contextmanager
def share_server(store_path: Path, **settings):
    """A real share-server on 127.0.0.1 (port 0), in a thread, stopped on exit."""
    from tamma_tui.sharing.server.aggregator import Aggregator, Settings
    from tamma_tui.sharing.server.http import serve
    from tamma_tui.store.share_server import ShareServerStore

    aggregator = Aggregator(ShareServerStore(store_path), Settings(**settings))
    server = serve(aggregator, keep_bodies=True)
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield server
    finally:
        server.shutdown()
        server.server_close()
        thread.join(5)
