"""`tamma-bench --help` start-up time and the wall time of `tamma-bench demo`.

Targets (issue 2): --help in at most 0.3 s (pandas, scipy and textual are imported
lazily); the demo in at most 30 s on 2 cores (issue 3: 60 s with real grading).
"""

from __future__ import annotations

import argparse
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path


def command() -> list[str]:
    exe = shutil.which("tamma-bench", path=str(Path(sys.executable).parent))
    return [exe] if exe else [sys.executable, "-m", "tamma_tui"]


def time_help(repeats: int) -> list[float]:
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        subprocess.run([*command(), "--help"], stdout=subprocess.DEVNULL, check=True)
        times.append(time.perf_counter() - t0)
    return times


def time_demo() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TAMMA_BENCH_DB": str(Path(tmp) / "demo.db")}
        t0 = time.perf_counter()
        subprocess.run([*command(), "demo"], stdout=subprocess.DEVNULL, env=env, check=True)
        return time.perf_counter() - t0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--demo-runs", type=int, default=2)
    args = parser.parse_args()
    helps = time_help(args.repeats)
    demos = [time_demo() for _ in range(args.demo_runs)]
    print("| measurement | runs | median | max | target |")
    print("|---|---:|---:|---:|---:|")
    print(f"| `tamma-bench --help` | {len(helps)} | {statistics.median(helps):.3f} s | {max(helps):.3f} s | 0.3 s |")
    print(f"| `tamma-bench demo` (432 trials, real grading) | {len(demos)} | {statistics.median(demos):.1f} s "
          f"| {max(demos):.1f} s | 30 s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
