"""How fast the app opens a 20,000-trial run and moves through its trial table.

Headless (Textual's Pilot) at 80x24 on a temp SQLite file:
- open: from switching to the run screen until its trial table holds every row
  (the worker's query + formatting, then the hand-over to the table). Target: <= 1 s.
- keys: the time per key press while moving through the table (down, page down, end,
  home), measured from the press until the screen has processed it.
- live: with `--live`, a 5,000-trial run on the simulated agent, with key presses timed
  while events stream in (the live screen flushes them at most 10 times a second).

Usage: python benchmarks/tui_open_run.py [--trials 20000] [--live]
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

CONTEXTS = ("development", "code_review", "testing")


async def key_to_effect(app, table, key: str) -> float:
    """Seconds from a key event reaching the app until the table's cursor has moved.

    (Pilot's own press() also waits for the app to go idle, which measures Pilot.)
    """
    from textual import events

    before = table.cursor_row
    event = events.Key(key, None)
    event.set_sender(app)
    t = time.perf_counter()
    app._driver.send_message(event)
    while table.cursor_row == before and time.perf_counter() - t < 10:
        await asyncio.sleep(0)
    return time.perf_counter() - t


def repaint_ms(table) -> float:
    """Cost of drawing every visible line of the table once."""
    t = time.perf_counter()
    for y in range(table.size.height):
        table.render_line(y)
    return (time.perf_counter() - t) * 1000


async def loop_lag(stop: asyncio.Event, lags: list[float]) -> None:
    """How late a 10 ms sleep on the UI loop wakes up: the app's responsiveness."""
    while not stop.is_set():
        t = time.perf_counter()
        await asyncio.sleep(0.01)
        lags.append(time.perf_counter() - t - 0.01)


def seed(path: Path, n_trials: int) -> int:
    from sqlmodel import Session

    from tamma_tui.store import repo
    from tamma_tui.store.db import open_database

    engine = open_database(path)
    with Session(engine) as session:
        run_id = repo.create_run(session, name="bench-20k", suite="bench", contexts=CONTEXTS,
                                 total_trials=n_trials, status="completed",
                                 arms=[("baseline", True, None), ("variant", False, None)])
        session.commit()
    rows = []
    per_arm = n_trials // 2
    for arm in ("baseline", "variant"):
        for i in range(per_arm):
            ctx = CONTEXTS[i % 3]
            error = i % 97 == 0
            rows.append({
                "run_id": run_id, "arm": arm, "task_id": f"{ctx[:3]}-{i:05d}", "context": ctx,
                "repeat": 0, "status": "error" if error else "ok",
                "passed": None if error else (i * 7 + len(arm)) % 3 != 0,
                "score": None if error else ((i * 13) % 100) / 100, "latency_s": 0.5 + (i % 50) / 10,
                "cost_usd": 0.0001 * (i % 9), "prompt_tokens": 900, "completion_tokens": 200,
                "error_kind": "timeout" if error else None,
                "response_text": "x" * 400, "grade_details": '{"tests_passed": 3}',
            })
    repo.insert_trials(engine, rows)
    return run_id


async def open_and_wait(app, run_id: int, n_trials: int) -> float:
    t0 = time.perf_counter()
    app.open_run(run_id, "run")
    while True:  # poll until the table holds every row of this run
        await asyncio.sleep(0.002)
        screen = app.screen
        table = screen.query("#trials")
        if table and getattr(screen, "_shown_run", None) == run_id and table.first().row_count == n_trials \
                and screen._detail is not None and screen._detail.summary.id == run_id:
            return time.perf_counter() - t0
        if time.perf_counter() - t0 > 30:
            raise RuntimeError(f"the run did not open within 30 s: {[n.message for n in app._notifications]}")


async def measure_open(db: Path, run_id: int, n_trials: int, second_run: int) -> dict[str, float]:
    from tamma_tui.store.db import open_database
    from tamma_tui.tui.app import AppServices, TammaApp

    app = TammaApp(services=AppServices(db_engine=open_database(db)), run_id=None)
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.5)
        await app.workers.wait_for_complete()
        opened = await open_and_wait(app, run_id, n_trials)
        first_worker = app.screen.load_seconds
        await pilot.pause()
        await pilot.press("1")  # Home, then another run: the run screen exists now
        await pilot.pause(0.3)
        await app.workers.wait_for_complete()
        reopened = await open_and_wait(app, second_run, n_trials)
        await pilot.pause()
        screen = app.screen
        table = screen.query_one("#trials")
        table.focus()
        await pilot.pause()
        timings: dict[str, list[float]] = {}
        for key, count in (("down", 200), ("pagedown", 50), ("up", 50), ("end", 1), ("home", 1)) * 5:
            for _ in range(count):
                timings.setdefault(key, []).append(await key_to_effect(app, table, key))
                await asyncio.sleep(0.001)
        paint = statistics.median(repaint_ms(table) for _ in range(20))
        assert table.cursor_row == 0
    return {"open_s": opened, "worker_s": first_worker or float("nan"), "reopen_s": reopened,
            "paint_ms": paint,
            **{f"{k}_ms": statistics.median(v) * 1000 for k, v in timings.items()},
            "max_key_ms": max(max(v) for v in timings.values()) * 1000}


def _engine_in_thread(path, **kwargs):
    from tamma_tui.services.experiments import run_experiment

    return run_experiment(path, **kwargs)


async def measure_live(workdir: Path, engine_in: str = "process") -> dict[str, float]:
    """A ~5,000-trial simulated run; key presses timed while it streams."""
    import shutil

    from tamma_tui.store.db import open_database
    from tamma_tui.tui.app import AppServices, TammaApp

    agents = workdir / "agents"
    agents.mkdir(parents=True)
    for name in ("baseline.yaml", "large.yaml", "terse.yaml"):
        shutil.copy(ROOT / "sample_configs" / "agents" / name, agents / name)
    exp = workdir / "live.yaml"
    exp.write_text(
        "name: live-bench\nsuite: tamma-match\ntrials: 46\nseed: 1\nconcurrency: 64\n"
        "baseline: agents/baseline.yaml\nvariants:\n"
        "  - {name: large, config: agents/large.yaml}\n  - {name: terse, config: agents/terse.yaml}\n"
    )
    engine = open_database(workdir / "live.db")
    # "process" is the app's default (the engine in a child process, events over a pipe);
    # "thread" runs the engine inside the app's process, as wave 1 did, for comparison.
    extra = {"run_experiment": _engine_in_thread} if engine_in == "thread" else {}
    app = TammaApp(services=AppServices(db_engine=engine, workdir=workdir, **extra))
    async with app.run_test(size=(80, 24)) as pilot:
        await pilot.pause(0.3)
        t0 = time.perf_counter()
        app.launch(str(exp))
        await pilot.pause()
        screen = app.screen
        table = screen.query_one("#trials")
        table.follow = False
        table.focus()
        stop, lags = asyncio.Event(), []
        sampler = asyncio.create_task(loop_lag(stop, lags))
        presses = []
        while screen._live or screen._events:
            if table.row_count > 2:
                presses.append(await key_to_effect(app, table, "up" if table.cursor_row else "down"))
            await asyncio.sleep(0.02)
            if time.perf_counter() - t0 > 300:
                raise RuntimeError("live run did not finish in 5 minutes")
        elapsed = time.perf_counter() - t0
        stop.set()
        await sampler
        rows = table.row_count
    presses.sort()
    lags.sort()
    return {"live_trials": rows, "live_s": elapsed, "live_key_median_ms": statistics.median(presses) * 1000,
            "live_key_p95_ms": presses[int(len(presses) * 0.95)] * 1000,
            "live_key_max_ms": presses[-1] * 1000,
            "lag_p95_ms": lags[int(len(lags) * 0.95)] * 1000, "lag_max_ms": lags[-1] * 1000}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--trials", type=int, default=20_000)
    parser.add_argument("--live", action="store_true", help="also time a 5,000-trial live run")
    parser.add_argument("--engine", choices=("process", "thread"), default="process",
                        help="where the live run's engine runs (default: its own process, as the app does)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "bench.db"
        t = time.perf_counter()
        run_id = seed(db, args.trials)
        second = seed(db, args.trials)
        seeded = (time.perf_counter() - t) / 2
        figures = asyncio.run(measure_open(db, run_id, args.trials, second))
        live = asyncio.run(measure_live(Path(tmp) / "live", args.engine)) if args.live else None
    print(f"Run of {args.trials:,} trials (seeded in {seeded:.1f} s), app at 80x24, headless.\n")
    print("| measure | value | target |")
    print("|---|---|---|")
    print(f"| open a run, first visit (builds the run screen too) | {figures['open_s']:.3f} s | <= 1 s |")
    print(f"| of which loading the rows (query, in a thread) | {figures['worker_s']:.3f} s | |")
    print(f"| open another run (screen already built) | {figures['reopen_s']:.3f} s | <= 1 s |")
    for key in ("down", "up", "pagedown", "end", "home"):
        print(f"| key `{key}`: event -> cursor moved (median) | {figures[key + '_ms']:.2f} ms | immediate |")
    print(f"| slowest key press | {figures['max_key_ms']:.2f} ms | |")
    print(f"| repaint every visible table line | {figures['paint_ms']:.2f} ms | |")
    if live:
        print(f"| live run: {live['live_trials']:,} simulated trials | {live['live_s']:.1f} s | |")
        print(f"| live run: key -> cursor moved, median / p95 / max | {live['live_key_median_ms']:.1f} / "
              f"{live['live_key_p95_ms']:.1f} / {live['live_key_max_ms']:.1f} ms | responsive |")
        print(f"| live run: UI loop lag p95 / max | {live['lag_p95_ms']:.1f} / {live['lag_max_ms']:.1f} ms | |")
    return 0 if max(figures["open_s"], figures["reopen_s"]) <= 1.0 else 1


if __name__ == "__main__":
    raise SystemExit(main())
