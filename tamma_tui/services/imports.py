"""``tamma-bench import FILE.csv``: trial results produced elsewhere become a run.

Contract (DESIGN §3): columns ``arm, task_id, context, repeat, passed, score, latency_s,
cost_usd, prompt_tokens, completion_tokens``, optional ``ttft_s, context_window,
config_sha256`` (other columns, such as those ``export`` adds, are ignored). The baseline
arm is ``baseline`` unless another is named. Everything is validated before anything is
written, and the run is written in one transaction.
"""

from __future__ import annotations

import csv
import math
from pathlib import Path
from typing import Any, Callable

from sqlalchemy.engine import Engine
from sqlmodel import Session

from tamma_tui.config.errors import BadInput
from tamma_tui.store import repo
from tamma_tui.store.models import ConfigVersion, utcnow

REQUIRED = (
    "arm", "task_id", "context", "repeat", "passed", "score", "latency_s", "cost_usd",
    "prompt_tokens", "completion_tokens",
)
OPTIONAL = ("ttft_s", "context_window", "config_sha256")
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}


def _bool(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"expected true/false or 1/0, got {text!r}")


def _float(text: str) -> float:
    value = float(text)
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"expected a finite number, got {text!r}")
    return value


def _int(text: str) -> int:
    value = float(text)
    if value != int(value) or value < 0:
        raise ValueError(f"expected a non-negative integer, got {text!r}")
    return int(value)


def _nonempty(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text.strip()


PARSERS: dict[str, Callable[[str], Any]] = {
    "arm": _nonempty, "task_id": _nonempty, "context": _nonempty, "repeat": _int,
    "passed": _bool, "score": _float, "latency_s": _float, "cost_usd": _float,
    "prompt_tokens": _int, "completion_tokens": _int, "ttft_s": _float,
    "context_window": _int, "config_sha256": _nonempty,
}


def parse_csv(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    if not p.is_file():
        raise BadInput("file not found", file=path)
    try:
        handle = p.open(newline="", encoding="utf-8-sig")
    except OSError as exc:
        raise BadInput(f"cannot read: {exc.strerror}", file=path) from None
    with handle:
        reader = csv.DictReader(handle)
        header = [h.strip() for h in (reader.fieldnames or [])]
        missing = [c for c in REQUIRED if c not in header]
        if missing:
            raise BadInput(f"missing required column(s): {', '.join(missing)}", file=path, field="header")
        reader.fieldnames = header
        rows: list[dict[str, Any]] = []
        seen: set[tuple[str, str, int]] = set()
        try:
            for line_no, raw in enumerate(reader, start=2):
                row: dict[str, Any] = {}
                for col in (*REQUIRED, *OPTIONAL):
                    text = raw.get(col)
                    if text is None or (col in OPTIONAL and not text.strip()):
                        continue
                    try:
                        row[col] = PARSERS[col](text)
                    except ValueError as exc:
                        raise BadInput(str(exc), file=path, field=f"line {line_no}, column {col}") from None
                key = (row["arm"], row["task_id"], row["repeat"])
                if key in seen:
                    raise BadInput(
                        f"duplicate trial (arm {key[0]!r}, task {key[1]!r}, repeat {key[2]})",
                        file=path, field=f"line {line_no}",
                    )
                seen.add(key)
                rows.append(row)
        except csv.Error as exc:
            raise BadInput(f"malformed CSV: {exc}", file=path, field=f"line {reader.line_num}") from None
        except UnicodeDecodeError:
            raise BadInput("not a UTF-8 text file", file=path) from None
    if not rows:
        raise BadInput("no trial rows", file=path)
    return rows


def import_csv(engine: Engine, path: str | Path, *, baseline: str = "baseline", name: str | None = None) -> int:
    """Validate the whole file, then write the run in one transaction; return its id."""
    rows = parse_csv(path)
    arms = list(dict.fromkeys(r["arm"] for r in rows))
    if len(arms) == 1:
        baseline = arms[0]  # one configuration benchmarked alone: a history point, not an A/B
    if baseline not in arms:
        raise BadInput(
            f"baseline arm {baseline!r} not found; arms are {', '.join(arms)} (use --baseline NAME)",
            file=path, field="arm",
        )
    ordered = [baseline] + [a for a in arms if a != baseline]
    contexts = sorted({r["context"] for r in rows})
    repeats = max(r["repeat"] for r in rows) + 1
    arm_sha = {r["arm"]: r.get("config_sha256") for r in rows if r.get("config_sha256")}
    with Session(engine) as session:
        # A foreign key must point at a stored config version; imported hashes are kept on
        # the trials and linked to the arm only when that version is known here.
        known = {sha for sha in arm_sha.values() if session.get(ConfigVersion, sha) is not None}
        run_id = repo.create_run(
            session,
            name=name or Path(path).stem,
            kind="import",
            status="completed",
            suite=f"import:{Path(path).name}",
            contexts=contexts,
            trials_per_task=repeats,
            total_trials=len(rows),
            arms=[(a, a == baseline, arm_sha.get(a) if arm_sha.get(a) in known else None) for a in ordered],
        )
        trials = [
            {
                **r,
                "run_id": run_id,
                "status": "ok",
                "context_utilization": (r["prompt_tokens"] / r["context_window"])
                if r.get("context_window") else None,
            }
            for r in rows
        ]
        # Same transaction as the run: an import lands whole or not at all.
        conn = session.connection()
        for start in range(0, len(trials), 5000):
            repo.insert_trials(conn, trials[start : start + 5000])
        repo.update_run(conn, run_id, cost_usd=math.fsum(r["cost_usd"] for r in rows), finished_at=utcnow())
        session.commit()
    return run_id
