"""`import`, `runs`, `show`, `export` through the real CLI entry point and a real SQLite file."""

from __future__ import annotations

import csv
import io
import json
import random

import pytest
from sqlalchemy import text

from tamma_tui.cli import main
from tamma_tui.store.db import open_database

HEADER = ["arm", "task_id", "context", "repeat", "passed", "score", "latency_s", "cost_usd",
          "prompt_tokens", "completion_tokens", "ttft_s", "context_window"]


def write_csv(path, rows, header=HEADER):
    with open(path, "w", newline="") as fh:
        w = csv.writer(fh)
        w.writerow(header)
        w.writerows(rows)
    return path


def sample_rows(arms=("baseline", "v2"), tasks=12, repeats=2, seed=3):
    rng = random.Random(seed)
    rows = []
    for arm in arms:
        for t in range(tasks):
            for r in range(repeats):
                ok = rng.random() < (0.5 if arm == "baseline" else 0.8)
                rows.append([arm, f"t{t}", ("development", "code_review", "testing")[t % 3], r, int(ok),
                             1.0 if ok else 0.3, round(rng.uniform(1, 2), 3), 0.002, 1000, 200, 0.1, 10000])
    return rows


def trial_count(db):
    with open_database(db).connect() as conn:
        return conn.execute(text("SELECT COUNT(*) FROM trial")).scalar()


def test_import_show_export_round_trip(db_url, tmp_path, capsys):
    db = db_url  # a real SQLite file and a real PostgreSQL database
    rows = sample_rows()
    src = write_csv(tmp_path / "in.csv", rows)
    assert main(["--db", db, "import", str(src)]) == 0
    run_id = int(capsys.readouterr().out.strip())

    assert main(["--db", db, "show", str(run_id)]) == 0
    out = capsys.readouterr().out
    assert "pass rate" in out and "baseline" in out and "v2" in out
    expected = sum(r[4] for r in rows if r[0] == "baseline") / 24
    assert f"{expected:.1%}" in out

    assert main(["--db", db, "show", str(run_id), "--by", "context"]) == 0
    assert "code_review" in capsys.readouterr().out

    assert main(["--db", db, "export", str(run_id), "--format", "csv"]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# tamma-bench {")   # arm order and plan, for a faithful re-import
    exported = list(csv.DictReader(io.StringIO(out.split("\n", 1)[1])))
    assert len(exported) == len(rows)
    assert {(r["arm"], r["task_id"], int(r["repeat"])) for r in exported} == {(r[0], r[1], r[3]) for r in rows}

    # An export re-imports as the same data.
    again = tmp_path / "again.csv"
    assert main(["--db", db, "export", str(run_id), "-o", str(again)]) == 0
    capsys.readouterr()
    assert main(["--db", db, "import", str(again)]) == 0
    assert int(capsys.readouterr().out.strip()) == run_id + 1
    assert trial_count(db) == 2 * len(rows)

    assert main(["--db", db, "export", str(run_id), "--format", "jsonl"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(rows) and json.loads(lines[0])["arm"] in ("baseline", "v2")


def test_import_with_other_baseline_name(db_url, tmp_path, capsys):
    db = db_url  # a real SQLite file and a real PostgreSQL database
    src = write_csv(tmp_path / "in.csv", sample_rows(arms=("old", "new")))
    assert main(["--db", db, "import", str(src)]) == 2
    assert "baseline arm 'baseline' not found" in capsys.readouterr().err
    assert main(["--db", db, "import", str(src), "--baseline", "old"]) == 0


@pytest.mark.parametrize(
    "mutate, message",
    [
        (lambda rows: rows[3].__setitem__(4, "maybe"), "line 5, column passed: expected true/false"),
        (lambda rows: rows[0].__setitem__(6, "fast"), "line 2, column latency_s"),
        (lambda rows: rows[1].__setitem__(3, "-1"), "line 3, column repeat: expected a non-negative integer"),
        (lambda rows: rows.append(list(rows[0])), "duplicate trial"),
    ],
)
def test_bad_csv_is_one_line_exit_2_and_writes_nothing(db_url, tmp_path, capsys, mutate, message):
    db = db_url  # a real SQLite file and a real PostgreSQL database
    rows = sample_rows()
    mutate(rows)
    src = write_csv(tmp_path / "bad.csv", rows)
    assert main(["--db", db, "import", str(src)]) == 2
    err = capsys.readouterr().err
    assert message in err and str(src) in err and err.count("\n") == 1
    assert trial_count(db) == 0
    with open_database(db).connect() as conn:
        assert conn.execute(text("SELECT COUNT(*) FROM run")).scalar() == 0


def test_missing_columns(db_url, tmp_path, capsys):
    src = write_csv(tmp_path / "bad.csv", [["a", "t"]], header=["arm", "task_id"])
    assert main(["--db", db_url, "import", str(src)]) == 2
    assert "missing required column(s): context" in capsys.readouterr().err


def test_show_unknown_run(db_url, capsys):
    assert main(["--db", db_url, "show", "42"]) == 2
    assert "run 42 not found" in capsys.readouterr().err


def test_configs_commands(tmp_path, capsys):
    from pathlib import Path

    agents = Path(__file__).resolve().parents[2] / "sample_configs" / "agents"
    assert main(["configs", "validate", str(agents / "baseline.yaml"), str(agents / "terse.yaml")]) == 0
    assert capsys.readouterr().out.count(": ok:") == 2
    assert main(["configs", "diff", str(agents / "baseline.yaml"), str(agents / "terse.yaml")]) == 0
    diff = capsys.readouterr().out
    assert diff.startswith("---") and "-version: 1" in diff and "+version: 2" in diff
    assert main(["configs", "show", str(agents / "baseline.yaml")]) == 0
    assert capsys.readouterr().out.startswith("# sha256: ")
    bad = tmp_path / "bad.yaml"
    bad.write_text("agentId: x\nprovider: simulated\nmodel: m\nparameters: {temperature: 7}\n")
    assert main(["configs", "validate", str(bad)]) == 2
    assert capsys.readouterr().err.strip() == f"tamma-bench: {bad}: parameters.temperature: must be between 0 and 2, got 7"
