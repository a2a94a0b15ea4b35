"""The single writer: trials stored per second in batches of 200, on SQLite and PostgreSQL.

PostgreSQL is the distribution's server started in a throw-away cluster (as the tests do),
or the one named by TAMMA_TEST_PG_URL; without either, only SQLite is measured.

Usage: python benchmarks/store_writes.py [-n 20000] [--batch 200]
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import datetime, timezone
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

from tamma_tui.store import repo  # noqa: E402
from tamma_tui.store.db import open_database, transaction  # noqa: E402


def rows(run_id: int, n: int) -> list[dict]:
    now = datetime.now(timezone.utc)
    return [
        dict(run_id=run_id, arm="baseline" if i % 2 else "variant", task_id=f"task-{i // 6}", context="development",
             repeat=i % 3, status="ok", passed=bool(i % 3), score=0.5, latency_s=1.2, prompt_tokens=900,
             completion_tokens=300, cost_usd=0.0012, context_window=32768, context_utilization=0.03,
             response_hash="0" * 64, response_text="def solve():\n    return 42\n" * 20,
             started_at=now, finished_at=now)
        for i in range(n)
    ]


def measure(url: str, n: int, batch: int) -> float:
    db = open_database(url)
    with transaction(db) as session:
        run_id = repo.create_run(session, name="bench", arms=[("baseline", True, None), ("variant", False, None)])
    data = rows(run_id, n)
    started = time.perf_counter()
    for i in range(0, n, batch):
        repo.save_trial_batch(db, run_id, data[i:i + batch], cost_usd=0.0)
    return n / (time.perf_counter() - started)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=20000)
    parser.add_argument("--batch", type=int, default=200)
    args = parser.parse_args()
    print("| store | trials | batch | trials/s |")
    print("|---|---:|---:|---:|")
    folder = Path(tempfile.mkdtemp())
    sqlite_url = f"sqlite:///{folder / 'w.db'}"
    print(f"| SQLite (WAL) | {args.n} | {args.batch} | {measure(sqlite_url, args.n, args.batch):,.0f} |")
    url, cluster = os.environ.get("TAMMA_TEST_PG_URL"), None
    if url is None:
        sys.path.insert(0, str(ROOT / "tests"))
        from pg_server import ThrowawayCluster, _binary

        if _binary("initdb"):
            cluster = ThrowawayCluster()
            url = cluster.start()
    if url is None:
        print("| PostgreSQL | - | - | no server |")
        return
    try:
        from sqlalchemy import create_engine, text

        name = f"bench_{uuid.uuid4().hex[:8]}"
        with create_engine(url, isolation_level="AUTOCOMMIT").connect() as conn:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
        target = url.rsplit("/", 1)[0] + f"/{name}"
        print(f"| PostgreSQL (localhost) | {args.n} | {args.batch} | {measure(target, args.n, args.batch):,.0f} |")
    finally:
        if cluster is not None:
            cluster.stop()


if __name__ == "__main__":
    main()
