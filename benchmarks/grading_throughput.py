"""Grading throughput: development-task grades per second in the real sandbox.

Grades every development task of tamma-core with its reference answer and each wrong
answer (the mix a benchmark run produces), repeated until N grades, on a thread pool of
os.cpu_count() workers — the way the engine grades. Reports grades/s and per-grade p50/p95
latency, plus the same for the testing context (one sandbox run per grade, one fork per
mutant). Target: >= 20 development grades/s on 2 cores.

Usage: python benchmarks/grading_throughput.py [-n 400] [--workers K]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tamma_tui.suites import sandbox  # noqa: E402
from tamma_tui.suites.graders import grade  # noqa: E402
from tamma_tui.suites.loaders import load_folder_suite  # noqa: E402

CORE = Path(__file__).resolve().parent.parent / "tamma_tui" / "suites" / "builtin" / "tamma-core"


def _jobs(context: str, n: int):
    folder = CORE / context
    tasks = [t for t in load_folder_suite(folder).tasks if t.answers] if folder.is_dir() else []
    pairs = [(t, a) for t in tasks for a in t.answers]
    if not pairs:
        return []
    return [pairs[i % len(pairs)] for i in range(n)]


def _measure(jobs, workers: int):
    def one(job):
        task, answer = job
        started = time.perf_counter()
        g = grade(task, answer.text)
        return time.perf_counter() - started, g.passed == answer.correct, g

    def cpu_s():
        own = resource.getrusage(resource.RUSAGE_SELF)
        kids = resource.getrusage(resource.RUSAGE_CHILDREN)
        return own.ru_utime + own.ru_stime + kids.ru_utime + kids.ru_stime

    cpu_before = cpu_s()
    started = time.perf_counter()
    with ThreadPoolExecutor(max_workers=workers) as pool:
        results = list(pool.map(one, jobs))
    wall = time.perf_counter() - started
    cpu_ms = 1000 * (cpu_s() - cpu_before) / len(results)
    times = sorted(r[0] for r in results)
    agree = sum(r[1] for r in results)
    return {
        "grades": len(results),
        "wall_s": wall,
        "per_s": len(results) / wall,
        "p50_ms": 1000 * statistics.median(times),
        "p95_ms": 1000 * times[min(len(times) - 1, int(0.95 * len(times)))],
        "labels_agree": agree,
        # CPU per grade (grader process + sandboxes) does not depend on other load.
        "cpu_ms": cpu_ms,
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=400, help="development grades to run")
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 2)
    args = parser.parse_args()
    cores = os.cpu_count() or 1
    print(f"Machine: {cores} cores, Python {sys.version.split()[0]}, "
          f"sandbox isolation: {sandbox.isolation_level()}, workers: {args.workers}, "
          f"load average before: {os.getloadavg()[0]:.1f}")
    print()
    print("| context | grades | wall s | grades/s | p50 ms | p95 ms | CPU ms/grade | "
          f"CPU-bound limit on {cores} cores | verdicts as labelled |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    status = 0
    for context, n in (("development", args.n), ("testing", max(40, args.n // 5))):
        jobs = _jobs(context, n)
        if not jobs:
            print(f"| {context} | (no tasks with answers yet) | | | | | | | |")
            continue
        _measure(jobs[: args.workers * 2], args.workers)  # warm-up: probe, page cache
        r = _measure(jobs, args.workers)
        print(f"| {context} | {r['grades']} | {r['wall_s']:.2f} | {r['per_s']:.1f} | "
              f"{r['p50_ms']:.0f} | {r['p95_ms']:.0f} | {r['cpu_ms']:.0f} | "
              f"{cores * 1000 / r['cpu_ms']:.0f}/s | {r['labels_agree']}/{r['grades']} |",
              flush=True)
        if context == "development" and r["per_s"] < 20:
            status = 1
    print()
    print("Target: >= 20 development grades/s on 2 cores.")
    return status


if __name__ == "__main__":
    raise SystemExit(main())
