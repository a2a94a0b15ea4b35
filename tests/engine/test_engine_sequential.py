"""Sequential monitoring end to end: the real SequentialMonitor looks at flushed blocks."""

from __future__ import annotations

import pytest
from simrun_helpers import write_sim_experiment
from sqlalchemy import text

from tamma_tui.providers.simulated.server import BackgroundSimServer
from tamma_tui.providers.simulated.service import SimService
from tamma_tui.services.experiments import run_experiment
from tamma_tui.store import repo
from tamma_tui.store.db import open_database


@pytest.mark.parametrize("variant", ["sim-large", "broken"])
def test_sequential_run_looks_after_each_block(tmp_path, variant):
    # "broken" cuts every answer to one token: a clear loser the monitor should stop on.
    extra = "sequential: {block_tasks: 6}\n"
    if variant == "broken":
        extra += "variants:\n  - name: large\n    overrides: {parameters: {max_tokens: 1}}\n"
    with BackgroundSimServer(SimService(latency_ms=1)) as server:
        exp = write_sim_experiment(tmp_path, server.base_url, max_tasks=None, trials=1, concurrency=8,
                                   extra=extra, variants=variant != "broken")
        db = tmp_path / "s.db"
        out = run_experiment(exp, db=db, sequential=True)
    engine = open_database(db)
    run = repo.get_run(engine, out.run_id)
    assert run.sequential
    with engine.connect() as conn:
        looks = conn.execute(text("select look, n_tasks, decision from sequential_look where run_id = :r "
                                  "order by look"), {"r": out.run_id}).all()
        per_task = conn.execute(text("select task_id, count(*) from trial where run_id = :r group by task_id"),
                                {"r": out.run_id}).all()
    assert looks, "the monitor looked at least once"
    assert [n for _, n, _ in looks] == [6 * (i + 1) for i in range(len(looks))]
    # Every look saw complete blocks: both arms of every task of the blocks so far.
    assert all(n == 2 for _, n in per_task)
    assert len(per_task) == looks[-1][1]
    decisions = [d for _, _, d in looks]
    assert all(d == "continue" for d in decisions[:-1])
    if variant == "broken":
        assert decisions[-1] != "continue" and out.status == "stopped_early"
        assert len(per_task) < 36  # stopping saved the rest of the tasks
    if decisions[-1] == "continue":
        assert out.status == "completed" and len(per_task) == 36
    else:
        assert out.status in ("stopped_early", "completed")
        assert out.done == 2 * looks[-1][1]
