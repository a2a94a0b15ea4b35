"""Engine throughput: the real engine, the OpenAI-compatible client and the sim-server.

The sim-server runs in its own process on 127.0.0.1 with a fixed 50 ms latency per
request. Each configuration runs in a fresh engine process (so CPU time and peak RSS
belong to that run alone) over a generated JSONL match suite with one task per trial.

Reported per configuration: wall time of the run vs the ideal (N / concurrency x latency),
trials per second, engine CPU per trial (user + system CPU of the engine process during
the run, divided by N) and the peak RSS of the engine process.

Both processes use uvloop when installed, and the sim-server its lean httptools front end;
set TAMMA_EVENT_LOOP=asyncio to measure the pure-asyncio stack instead (uvicorn with h11
in the sim-server). On a shared machine single runs vary a lot, so ``--repeat K`` runs
each configuration K times and reports the run with the median trials wall time, plus the
range of "x ideal".

Usage: python benchmarks/engine_throughput.py [--quick] [--no-stream] [--repeat K]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import textwrap
import time
from pathlib import Path

LATENCY_MS = 50
CONFIGS = ((1000, 64), (5000, 256))
CONTEXTS = ("development", "code_review", "testing")

SERVER_CODE = """
import sys
from tamma_tui.providers.simulated.server import base_url_of, bind_socket, run_sim_server
from tamma_tui.providers.simulated.service import SimService
from tamma_tui.suites.registry import load_suite
suite = load_suite(sys.argv[1])
sock = bind_socket("127.0.0.1", 0)
print(base_url_of(sock), flush=True)
run_sim_server(SimService(latency_ms=float(sys.argv[2]), tasks=suite.tasks), sock)
"""


def write_suite(folder: Path, n: int) -> Path:
    path = folder / "bench-match.jsonl"
    with path.open("w") as fh:
        for i in range(n):
            fh.write(json.dumps({
                "id": f"bench-{i:05d}",
                "context": CONTEXTS[i % 3],
                "prompt": f"What is {i} plus one? Reply with the number only.",
                "expected": str(i + 1),
                "match": "exact",
            }) + "\n")
    return path


def write_experiment(folder: Path, suite: Path, base_url: str, concurrency: int, stream: bool) -> Path:
    (folder / "agent.yaml").write_text(textwrap.dedent(f"""\
        agentId: bench-agent
        provider: openai
        model: sim-medium
        base_url: {base_url}
        stream: {str(stream).lower()}
        parameters: {{temperature: 0.2, max_tokens: 64}}
        pricing: {{input_per_mtok: 0.5, output_per_mtok: 1.5}}
        timeout_s: 60
        """))
    exp = folder / f"exp-{concurrency}.yaml"
    exp.write_text(textwrap.dedent(f"""\
        name: engine-throughput
        suite: {suite}
        trials: 1
        seed: 1
        concurrency: {concurrency}
        max_error_rate: 1.0
        baseline: agent.yaml
        """))
    return exp


def engine_worker(exp: str, db: str) -> None:
    """Runs in a fresh process: one run, then its figures as JSON on stdout."""
    import resource

    from tamma_tui.services.experiments import run_experiment
    from tamma_tui.store.db import open_database

    from tamma_tui.engine.events import RunFinished, RunStarted

    open_database(db)  # schema creation is start-up, not engine work
    # Imports are start-up too (in `process wall`): load what run_experiment imports lazily
    # before the clocks start, so `run` CPU and wall are the run's own work.
    import tamma_tui.providers.factory  # noqa: F401
    import tamma_tui.providers.http.keepalive  # noqa: F401
    import tamma_tui.providers.openai_compat  # noqa: F401
    import tamma_tui.store.repo  # noqa: F401
    import tamma_tui.suites.graders  # noqa: F401
    import tamma_tui.suites.prompts  # noqa: F401
    import tamma_tui.suites.registry  # noqa: F401
    import tamma_tui.suites.sandbox  # noqa: F401
    marks: dict[str, float] = {}
    cpu_marks: dict[str, float] = {}

    def on_event(event) -> None:  # the trial phase: from RunStarted to RunFinished
        if isinstance(event, (RunStarted, RunFinished)):
            marks[type(event).__name__] = time.perf_counter()
            cpu_marks[type(event).__name__] = time.process_time()

    cpu0 = time.process_time()
    t0 = time.perf_counter()
    outcome = run_experiment(exp, db=db, on_event=on_event)
    wall = time.perf_counter() - t0
    cpu = time.process_time() - cpu0
    rss_mb = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({
        "status": outcome.status, "done": outcome.done, "errors": outcome.errors,
        "wall_s": wall, "cpu_s": cpu, "rss_mb": rss_mb,
        "trials_wall_s": marks["RunFinished"] - marks["RunStarted"],
        "trials_cpu_s": cpu_marks["RunFinished"] - cpu_marks["RunStarted"],
    }))


def null_worker(n: int, concurrency: int, db: str) -> None:
    """The engine alone: an in-process agent that waits 50 ms and answers, real grading and
    real batched DB writes; no HTTP. Shows what the engine itself costs per trial."""
    import asyncio
    import resource

    from sqlmodel import Session

    from tamma_tui.config.loader import ArmSpec, LoadedExperiment
    from tamma_tui.config.models import AgentConfig, ExperimentSpec
    from tamma_tui.engine.loop import run as run_on_event_loop
    from tamma_tui.engine.plan import build_plan
    from tamma_tui.engine.runner import EngineDeps, EngineSettings, run_plan
    from tamma_tui.providers.base import Completion
    from tamma_tui.store import repo
    from tamma_tui.store.db import open_database
    from tamma_tui.suites.graders import grade
    from tamma_tui.suites.model import Suite, Task

    class NullAgent:
        async def complete(self, request):
            await asyncio.sleep(LATENCY_MS / 1000)
            return Completion(text=str(int(request.task_id[6:]) + 1), prompt_tokens=20,
                              completion_tokens=2, latency_s=LATENCY_MS / 1000, ttft_s=0.01, finish_reason="stop")

        async def aclose(self):
            pass

    tasks = tuple(Task(id=f"bench-{i:05d}", context=CONTEXTS[i % 3], prompt=f"What is {i} plus one?",
                       grader={"kind": "match", "expected": str(i + 1), "mode": "exact"}) for i in range(n))
    config = AgentConfig(agentId="null", provider="simulated", model="null")
    spec = ExperimentSpec(name="null", baseline="-", concurrency=concurrency)
    loaded = LoadedExperiment(spec=spec, path=Path(db), arms=[ArmSpec("baseline", config, True, "-")])
    plan = build_plan(loaded, Suite(id="bench", tasks=tasks))
    engine = open_database(db)
    with Session(engine) as session:
        run_id = repo.create_run(session, name="null", arms=[("baseline", True, None)])
        session.commit()
    agent = NullAgent()
    deps = EngineDeps(make_provider=lambda c, k: agent, grade=grade, render_prompt=lambda t, k: t.prompt,
                      save_batch=lambda rows, cost: repo.save_trial_batch(engine, run_id, rows, cost),
                      on_event=lambda e: None)
    cpu0 = time.process_time()
    t0 = time.perf_counter()
    result = run_on_event_loop(run_plan(plan, EngineSettings(run_id=run_id, concurrency=concurrency), deps))
    wall = time.perf_counter() - t0
    print(json.dumps({
        "status": result.status, "done": result.done, "errors": result.errors, "wall_s": wall,
        "trials_wall_s": wall, "cpu_s": time.process_time() - cpu0, "trials_cpu_s": time.process_time() - cpu0,
        "rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
    }))


def process_cpu_s(pid: int) -> float:
    """User + system CPU seconds of a live process (Linux /proc; NaN elsewhere)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")
    except (OSError, IndexError, ValueError):
        return float("nan")


def measure(n: int, concurrency: int, workdir: Path, stream: bool) -> dict:
    suite = write_suite(workdir, n)
    server = subprocess.Popen([sys.executable, "-c", SERVER_CODE, str(suite), str(LATENCY_MS)],
                              stdout=subprocess.PIPE, text=True)
    try:
        base_url = server.stdout.readline().strip()  # printed once imported, suite loaded, socket bound
        server_startup_cpu_s = process_cpu_s(server.pid)
        exp = write_experiment(workdir, suite, base_url, concurrency, stream)
        db = workdir / f"bench-{n}-{concurrency}.db"
        t0 = time.perf_counter()
        res = subprocess.run([sys.executable, __file__, "--worker", str(exp), str(db)],
                             capture_output=True, text=True, check=True)
        process_wall = time.perf_counter() - t0
        server_cpu_s = process_cpu_s(server.pid)
    finally:
        server.terminate()
        server.wait(timeout=10)
    figures = json.loads(res.stdout.strip().splitlines()[-1])
    figures.update(n=n, concurrency=concurrency, process_wall_s=process_wall,
                   server_cpu_s=server_cpu_s - server_startup_cpu_s, server_startup_cpu_s=server_startup_cpu_s,
                   ideal_s=n / concurrency * LATENCY_MS / 1000)
    return figures


def measure_null(n: int, concurrency: int, workdir: Path) -> dict:
    t0 = time.perf_counter()
    res = subprocess.run([sys.executable, __file__, "--null-worker", str(n), str(concurrency),
                          str(workdir / "null.db")], capture_output=True, text=True, check=True)
    figures = json.loads(res.stdout.strip().splitlines()[-1])
    figures.update(n=n, concurrency=concurrency, process_wall_s=time.perf_counter() - t0,
                   server_cpu_s=float("nan"), server_startup_cpu_s=float("nan"),
                   ideal_s=n / concurrency * LATENCY_MS / 1000)
    return figures


def median_run(runs: list[dict]) -> dict:
    """The run with the median trials wall time, with the spread of all runs attached."""
    ordered = sorted(runs, key=lambda r: r["trials_wall_s"])
    row = dict(ordered[(len(ordered) - 1) // 2])
    row["x_ideal_range"] = (ordered[0]["trials_wall_s"] / row["ideal_s"], ordered[-1]["trials_wall_s"] / row["ideal_s"])
    row["runs"] = len(runs)
    return row


def stack_line() -> str:
    """Which event loop the engine runs on and which front end serves the sim-server."""
    from tamma_tui.engine.loop import uvloop_in_use
    from tamma_tui.providers.simulated.server import use_lean_server

    loop = "uvloop" if uvloop_in_use() else "asyncio"
    server = "lean httptools server" if use_lean_server() else "uvicorn with h11"
    return f"engine loop {loop}; sim-server {server} on {loop}"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="only the first configuration")
    parser.add_argument("--no-stream", action="store_true", help="non-streaming requests")
    parser.add_argument("--repeat", type=int, default=1, metavar="K",
                        help="runs per configuration; the median run is shown (default 1)")
    parser.add_argument("--worker", nargs=2, metavar=("EXP", "DB"), help=argparse.SUPPRESS)
    parser.add_argument("--null-worker", nargs=3, metavar=("N", "CONC", "DB"), help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.worker:
        engine_worker(*args.worker)
        return 0
    if args.null_worker:
        null_worker(int(args.null_worker[0]), int(args.null_worker[1]), args.null_worker[2])
        return 0
    stream = not args.no_stream
    repeat = max(1, args.repeat)
    configs = CONFIGS[:1] if args.quick else CONFIGS
    load_before = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    runs: dict[tuple[int, int], list[dict]] = {c: [] for c in configs}
    for _ in range(repeat):  # interleaved, so a burst of outside load hits every configuration
        for n, conc in configs:
            with tempfile.TemporaryDirectory(prefix="tamma-bench-") as tmp:
                runs[(n, conc)].append(measure(n, conc, Path(tmp), stream))
    rows = [median_run(runs[c]) for c in configs]
    null_runs: dict[tuple[int, int], list[dict]] = {c: [] for c in configs}
    for _ in range(repeat):
        for n, conc in configs:
            with tempfile.TemporaryDirectory(prefix="tamma-bench-") as tmp:
                null_runs[(n, conc)].append(measure_null(n, conc, Path(tmp)))
    null_rows = [median_run(null_runs[c]) for c in configs]
    load_after = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"Engine throughput (sim-server in its own process, {LATENCY_MS} ms per request, "
          f"{'streaming' if stream else 'non-streaming'}, {os.cpu_count()} cores)")
    print(f"{stack_line()}; load average {load_before:.1f} before, {load_after:.1f} after; "
          f"{'median of ' + str(repeat) + ' runs' if repeat > 1 else 'one run'} per configuration\n")
    print("| N | concurrency | ideal s | trials wall s | x ideal | x ideal range | run wall s | process wall s "
          "| trials/s | engine CPU ms/trial (run) | engine CPU ms/trial (trials) | server CPU ms/request "
          "| server start-up CPU s | peak RSS MB | errors |")
    print("|---:|---:|---:|---:|---:|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for r in rows:
        lo, hi = r["x_ideal_range"]
        print(f"| {r['n']} | {r['concurrency']} | {r['ideal_s']:.2f} | {r['trials_wall_s']:.2f} "
              f"| {r['trials_wall_s'] / r['ideal_s']:.2f} | {lo:.2f}-{hi:.2f} | {r['wall_s']:.2f} | {r['process_wall_s']:.2f} "
              f"| {r['n'] / r['trials_wall_s']:.0f} | {r['cpu_s'] * 1000 / r['n']:.3f} "
              f"| {r['trials_cpu_s'] * 1000 / r['n']:.3f} "
              f"| {r['server_cpu_s'] * 1000 / r['n']:.3f} | {r['server_startup_cpu_s']:.2f} "
              f"| {r['rss_mb']:.0f} | {r['errors']} |")
    for r in rows:
        needed = r["n"] / r["ideal_s"]
        ceiling = r["n"] / r["trials_cpu_s"]
        print(f"\nN={r['n']}: the ideal needs {needed:.0f} trials/s and the 1.25 x target {needed / 1.25:.0f}; "
              f"one engine process at {r['trials_cpu_s'] * 1000 / r['n']:.3f} ms CPU per trial tops out near "
              f"{ceiling:.0f} trials/s" + (" (the ideal itself is out of reach)" if ceiling < needed else ""))
    print("\nThe engine alone (in-process agent that waits 50 ms, no HTTP; real grading and DB writes):\n")
    print("| N | concurrency | ideal s | wall s | x ideal | engine CPU ms/trial | peak RSS MB |")
    print("|---:|---:|---:|---:|---:|---:|---:|")
    for r in null_rows:
        print(f"| {r['n']} | {r['concurrency']} | {r['ideal_s']:.2f} | {r['wall_s']:.2f} "
              f"| {r['wall_s'] / r['ideal_s']:.2f} | {r['cpu_s'] * 1000 / r['n']:.3f} | {r['rss_mb']:.0f} |")
    print("\nTargets: run wall <= 1.25 x ideal + start-up; <= 0.5 ms CPU per trial; <= 300 MB RSS. "
          "`trials wall` runs from the first to the last engine event (every trial and the last "
          "flush); `run wall` adds loading and checking the experiment and creating the run "
          "(modules are imported before its clock starts); "
          "`process wall` adds interpreter start-up and imports. Engine CPU (run) counts the whole "
          "run_experiment call in the engine process (checks, HTTP client, grading, DB writes); "
          "(trials) counts the trial phase only. Server CPU per request counts the sim-server process "
          "from the moment it is ready (imports, suite loading and binding are its start-up column).")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
