"""Time build_report (all metrics, all contexts, 3 arms) on synthetic trials.

    .venv/bin/python benchmarks/report_speed.py [--trials 100000 1000000] [--repeats 3]
    .venv/bin/python benchmarks/report_speed.py --stored   # also end to end from SQLite

The frame has the dtypes `store.queries.load_trials_frame` returns (categoricals for the
strings, float64 numbers), 3 arms, 3 contexts and `--repeats` trials per task and arm,
so 1M trials with 3 repeats is 111,111 tasks: the per-task work (tests, Wilcoxon, BCa
bootstrap) is at its largest. About 1% of trials are errors. Targets: 100k <= 1.5 s,
1M <= 10 s on 2 cores.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import pandas as pd

CONTEXTS = ("development", "code_review", "testing")
ARMS = ("baseline", "terse", "cool")


def synthetic_trials(n_trials: int, *, repeats: int = 3, seed: int = 0) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    n_tasks = max(2, n_trials // (len(ARMS) * repeats))
    n = n_tasks * len(ARMS) * repeats
    arm = np.repeat(np.arange(len(ARMS)), n_tasks * repeats)
    task = np.tile(np.repeat(np.arange(n_tasks), repeats), len(ARMS))
    ease = rng.normal(0, 1.2, n_tasks)[task]  # tasks differ in difficulty: paired data
    lift = np.array([0.0, 0.15, -0.05])[arm]
    passed = (rng.random(n) < 1 / (1 + np.exp(-(0.4 + ease + lift)))).astype(float)
    latency = rng.lognormal(1.0 + 0.1 * arm, 0.5)
    prompt = rng.integers(500, 4000, n).astype(float)
    completion = rng.integers(50, 800, n).astype(float)
    status = np.where(rng.random(n) < 0.01, "error", "ok")
    task_ids = np.array([f"task-{i:06d}" for i in range(n_tasks)])
    return pd.DataFrame({
        "arm": pd.Categorical.from_codes(arm, ARMS),
        "task_id": pd.Categorical.from_codes(task, task_ids),
        "context": pd.Categorical.from_codes(task % len(CONTEXTS), CONTEXTS),
        "repeat": np.tile(np.arange(repeats), n_tasks * len(ARMS)),
        "status": pd.Categorical(status),
        "passed": passed,
        "score": np.clip(passed * 0.7 + rng.random(n) * 0.3, 0, 1),
        "latency_s": latency,
        "ttft_s": latency * 0.2,
        "cost_usd": (prompt * 0.5 + completion * 1.5) / 1e6,
        "prompt_tokens": prompt,
        "completion_tokens": completion,
        "context_utilization": prompt / 32768,
    })


def store_frame(frame: pd.DataFrame, path: str) -> tuple[object, int]:
    """Write the trials into a fresh SQLite store (the store's own insert path)."""
    from sqlmodel import Session

    from tamma_tui.store import repo
    from tamma_tui.store.db import open_database

    engine = open_database(path)
    with Session(engine) as session:
        run_id = repo.create_run(session, name="bench", status="completed",
                                 arms=[(a, a == "baseline", None) for a in ARMS])
        session.commit()
    records = frame.astype({c: object for c in ("arm", "task_id", "context", "status")})
    records = records.assign(run_id=run_id, passed=frame["passed"] > 0.5).to_dict("records")
    for start in range(0, len(records), 50_000):
        repo.insert_trials(engine, records[start : start + 50_000])
    return engine, run_id


def main() -> None:
    from tamma_tui.analysis.report import build_report

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--runs", type=int, default=3, help="timed runs per size (best is kept)")
    parser.add_argument("--stored", action="store_true",
                        help="also time report_for_run (SQLite load + report) on a stored copy")
    parser.add_argument("--robustness", action="store_true",
                        help="force the bootstrap extras (off by default above 100k trials)")
    args = parser.parse_args()
    arms = [{"name": a, "baseline": a == "baseline"} for a in ARMS]
    guard = [{"metric": "cost_usd", "margin": 0.0005}, {"metric": "latency_s", "margin": 0.5}]
    for n in args.trials:
        frame = synthetic_trials(n, repeats=args.repeats)
        times = []
        for _ in range(args.runs):
            start = time.perf_counter()
            report = build_report(frame, run_id=0, arms=arms, guardrails=guard,
                                  robustness=True if args.robustness else None)
            times.append(time.perf_counter() - start)
        tasks = frame["task_id"].nunique()
        print(f"{len(frame):>9,} trials  {tasks:>7,} tasks  {len(report['comparisons'])} comparisons"
              f"  best {min(times):.2f} s  (runs: {', '.join(f'{t:.2f}' for t in times)})"
              f"  winner={report['decision']['winner']}")
        if args.stored:
            import tempfile
            from pathlib import Path

            from tamma_tui.services.reports import report_for_run

            with tempfile.TemporaryDirectory() as tmp:
                engine, run_id = store_frame(frame, str(Path(tmp) / "bench.db"))
                start = time.perf_counter()
                report_for_run(engine, run_id)
                print(f"{'':>9}  stored in SQLite: report_for_run (load + report) "
                      f"{time.perf_counter() - start:.2f} s")
                engine.dispose()


if __name__ == "__main__":
    main()
