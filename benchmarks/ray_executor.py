"""The Ray executor on this machine: its per-trial overhead against the local executor, and
grading throughput with 1 and 2 workers.

A local cluster (a head and a worker node, one CPU each) is started on 127.0.0.1 inside a
network namespace that has only loopback (the script re-runs itself under `unshare -n`;
root or user namespaces needed), then stopped at the end.

1. Overhead: the same seeded experiment on the simulated agent (tamma-match, answers graded
   by string match, so nearly all the work is the executor's) run locally and on Ray;
   overhead per trial = (Ray wall - local wall) / trials.
2. Grading throughput: tamma-core development tasks, every answer graded in the sandbox, on
   Ray with max_workers 1 and 2 (trials/s).

Usage: python benchmarks/ray_executor.py [--trials 8] [--grading-trials 2]
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tests" / "engine"))

INSIDE = "TAMMA_BENCH_IN_NETNS"


def experiment(folder: Path, *, suite: str, contexts: str, trials: int, workers: int, kind: str) -> Path:
    from tests.sim_experiment import write_sim_experiment

    executor = f'executor: {{kind: {kind}, address: "127.0.0.1:6392", max_workers: {workers}}}\n'
    return write_sim_experiment(folder, name=f"bench-{kind}-{workers}", seed=3, suite=suite, contexts=contexts,
                                trials=trials, max_tasks=None, concurrency=32, max_tokens=1024, extra=executor)


def timed(path: Path, db: Path) -> tuple[float, int, float]:
    """Wall seconds, trials, and the driver's own CPU ms per trial (not the workers')."""
    import resource

    from tamma_tui.services.experiments import run_experiment

    def cpu() -> float:
        own = resource.getrusage(resource.RUSAGE_SELF)
        return own.ru_utime + own.ru_stime

    cpu0, started = cpu(), time.perf_counter()
    out = run_experiment(path, db=db)
    return time.perf_counter() - started, out.done, 1000 * (cpu() - cpu0) / max(out.done, 1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--trials", type=int, default=8)
    parser.add_argument("--grading-trials", type=int, default=2)
    args = parser.parse_args()
    import ray_scenarios

    ray_scenarios.PORT = 6392
    work = Path(tempfile.mkdtemp(prefix="tamma-ray-bench-"))
    subprocess.run(["ip", "link", "set", "lo", "up"], check=True)
    ray_scenarios.start_cluster(work / "ray")
    try:
        match = dict(suite="tamma-match", contexts="[development, code_review, testing]", trials=args.trials)
        local_s, n, local_cpu = timed(experiment(work / "m", kind="local", workers=1, **match), work / "m-local.db")
        ray_s, _, ray_cpu = timed(experiment(work / "m", kind="ray", workers=2, **match), work / "m-ray.db")
        print("| workload | executor | trials | wall s | trials/s | overhead ms/trial | driver CPU ms/trial |")
        print("|---|---|---:|---:|---:|---:|---:|")
        print(f"| tamma-match, match grading | local | {n} | {local_s:.2f} | {n / local_s:.0f} | | {local_cpu:.2f} |")
        print(f"| tamma-match, match grading | ray, 2 workers | {n} | {ray_s:.2f} | {n / ray_s:.0f} | "
              f"{1000 * (ray_s - local_s) / n:.1f} | {ray_cpu:.2f} |")
        grading = dict(suite="tamma-core", contexts="[development]", trials=args.grading_trials)
        local_g, g, cpu_g = timed(experiment(work / "g", kind="local", workers=1, **grading), work / "g-local.db")
        print(f"| tamma-core development, sandbox grading | local (2 grade threads) | {g} | {local_g:.2f} | "
              f"{g / local_g:.1f} | | {cpu_g:.2f} |")
        for workers in (1, 2):
            wall, g, cpu_w = timed(experiment(work / "g", kind="ray", workers=workers, **grading), work / f"g-{workers}.db")
            print(f"| tamma-core development, sandbox grading | ray, {workers} worker{'s' * (workers > 1)} | "
                  f"{g} | {wall:.2f} | {g / wall:.1f} | | {cpu_w:.2f} |")
    finally:
        ray_scenarios.stop_cluster()


if __name__ == "__main__":
    if os.environ.get(INSIDE) != "1":
        env = {**os.environ, INSIDE: "1", "RAY_USAGE_STATS_ENABLED": "0"}
        raise SystemExit(subprocess.run(["unshare", "-n", sys.executable, __file__, *sys.argv[1:]], env=env).returncode)
    main()
