"""`tamma-bench --help` start-up time, `tamma-bench run` of one trial against a bare
client's floor, and the wall time of `tamma-bench demo`.

Targets (issue 2): --help in at most 0.3 s (pandas, scipy and textual are imported
lazily); the demo in at most 30 s on 2 cores (issue 3: 60 s with real grading).
Issue 10 §3: `tamma-bench run` of one trial at most 0.3 s over the floor, where the floor
is a bare Python process that imports httpx and posts one chat completion to the same
sim-server (started once, in its own process, answering after 5 ms).
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
    return [_wall([*command(), "--help"]) for _ in range(repeats)]


def time_demo() -> float:
    with tempfile.TemporaryDirectory() as tmp:
        env = {**os.environ, "TAMMA_BENCH_DB": str(Path(tmp) / "demo.db")}
        t0 = time.perf_counter()
        subprocess.run([*command(), "demo"], stdout=subprocess.DEVNULL, env=env, check=True)
        return time.perf_counter() - t0


SERVER = """
import sys
from tamma_tui.providers.simulated.server import base_url_of, bind_socket, run_sim_server
from tamma_tui.providers.simulated.service import SimService
sock = bind_socket("127.0.0.1", 0)
print(base_url_of(sock), flush=True)
run_sim_server(SimService(latency_ms=5), sock)
"""

BARE_CLIENT = """
import sys, httpx
body = {"model": "sim-medium", "messages": [{"role": "user", "content": "Say dev-00"}], "max_tokens": 64}
httpx.post(sys.argv[1] + "/chat/completions", json=body, timeout=10).raise_for_status()
"""


CPU: list[float] = []   # user + system CPU of each timed child, in order


def _wall(cmd: list[str], env: dict[str, str] | None = None) -> float:
    """Wall time of one child process; its CPU time goes to CPU (less hostage to a busy
    machine than the wall time)."""
    import resource

    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    t0 = time.perf_counter()
    subprocess.run(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=env, check=True)
    wall = time.perf_counter() - t0
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    CPU.append(after.ru_utime - before.ru_utime + after.ru_stime - before.ru_stime)
    return wall


bare_cpu: list[float] = []
ours_cpu: list[float] = []


def time_one_trial(repeats: int) -> tuple[list[float], list[float]]:
    """(bare client walls, `tamma-bench run` walls), alternated so load hits both alike.
    The experiment is one task with a baseline and one variant (two trials): the smallest
    experiment the CLI accepts."""
    server = subprocess.Popen([sys.executable, "-c", SERVER], stdout=subprocess.PIPE, text=True)
    try:
        url = server.stdout.readline().strip()
        with tempfile.TemporaryDirectory() as tmp:
            root = Path(tmp)
            (root / "agents").mkdir()
            (root / "agents" / "base.yaml").write_text(
                f"agentId: s\nprovider: openai\nmodel: sim-medium\nbase_url: {url}\n"
                "parameters: {temperature: 0.2, max_tokens: 64}\ntimeout_s: 10\n")
            (root / "exp.yaml").write_text(
                "name: one\nsuite: tamma-match\ncontexts: [development]\ntrials: 1\nseed: 1\n"
                "baseline: agents/base.yaml\nvariants:\n  - name: cool\n"
                "    overrides: {parameters: {temperature: 0.0}}\n")
            env = {**os.environ, "TAMMA_BENCH_DB": str(root / "r.db")}
            run = [*command(), "run", str(root / "exp.yaml"), "--max-tasks", "1"]
            _wall(run, env)  # warm the page cache and write the .pyc files once
            bare, ours = [], []
            for _ in range(repeats):
                bare.append(_wall([sys.executable, "-c", BARE_CLIENT, url]))
                bare_cpu.append(CPU[-1])
                ours.append(_wall(run, env))
                ours_cpu.append(CPU[-1])
            return bare, ours
    finally:
        server.terminate()
        server.wait(10)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=15)
    parser.add_argument("--demo-runs", type=int, default=2, help="0 skips the demo")
    parser.add_argument("--run-repeats", type=int, default=9, help="one-trial runs (0 skips them)")
    args = parser.parse_args()
    helps = time_help(args.repeats)
    bare, ours = time_one_trial(args.run_repeats) if args.run_repeats else ([], [])
    demos = [time_demo() for _ in range(args.demo_runs)]
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"load average {load:.1f} after the measurements")
    print("| measurement | runs | median wall | max wall | median CPU | target |")
    print("|---|---:|---:|---:|---:|---:|")
    print(f"| `tamma-bench --help` | {len(helps)} | {statistics.median(helps):.3f} s | {max(helps):.3f} s "
          f"| {statistics.median(CPU[:len(helps)]):.3f} s | 0.3 s |")
    if ours:
        floor = statistics.median(bare)
        print(f"| bare client, one request (the floor) | {len(bare)} | {floor:.3f} s | {max(bare):.3f} s "
              f"| {statistics.median(bare_cpu):.3f} s | |")
        print(f"| `tamma-bench run`, one task (2 trials) | {len(ours)} | {statistics.median(ours):.3f} s "
              f"| {max(ours):.3f} s | {statistics.median(ours_cpu):.3f} s | floor + 0.3 s |")
        excess = [o - b for o, b in zip(ours, bare)]
        excess_cpu = [o - b for o, b in zip(ours_cpu, bare_cpu)]
        print(f"| run over the floor (paired) | {len(excess)} | {statistics.median(excess):.3f} s "
              f"| {max(excess):.3f} s | {statistics.median(excess_cpu):.3f} s | 0.3 s |")
    if demos:
        print(f"| `tamma-bench demo` (432 trials, real grading) | {len(demos)} | {statistics.median(demos):.1f} s "
              f"| {max(demos):.1f} s | | 30 s |")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
