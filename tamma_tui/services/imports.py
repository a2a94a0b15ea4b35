"""``tamma-bench import FILE.csv|FILE.jsonl``: trial results produced elsewhere become a run.

Contract (DESIGN §3): columns ``arm, task_id, context, repeat, passed, score, latency_s,
cost_usd, prompt_tokens, completion_tokens``, optional ``ttft_s, context_window,
config_sha256``, and the columns ``export`` adds (``status, error_kind, error_message,
attempts, truncated, ...``), so every exported trial re-imports, errored ones included
(their outcome cells are empty). Unknown columns are ignored.

A file written by ``export`` starts with a header line (``# tamma-bench {...}``) holding the
arm order and the analysis plan; ``--plan FILE`` gives or overrides the plan. Either way
the decision after a round trip is the one the original run gave. The baseline is, in
order: ``--baseline``, the header's, ``baseline``.

Everything is validated before anything is written, and the run is written in one
transaction.
"""

from __future__ import annotations

import csv
import io
import json
import math
from pathlib import Path
from typing import Any, Callable

from tamma_tui.errors import BadInput
from tamma_tui.store import repo
from tamma_tui.store.db import transaction
from tamma_tui.store.handle import Database
from tamma_tui.store.models import utcnow
from tamma_tui.vocabulary import ErrorKind, RunKind, RunStatus, TrialStatus

REQUIRED = (
    "arm", "task_id", "context", "repeat", "passed", "score", "latency_s", "cost_usd",
    "prompt_tokens", "completion_tokens",
)
#: Outcome cells an errored trial may leave empty.
OUTCOME = ("passed", "score", "latency_s", "cost_usd", "prompt_tokens", "completion_tokens")
OPTIONAL = (
    "ttft_s", "context_window", "config_sha256", "status", "error_kind", "error_message",
    "attempts", "truncated", "output_tps", "context_utilization", "response_hash",
    "session_position",
)
HEADER_PREFIX = "# tamma-bench "
_TRUE = {"1", "true", "yes", "y", "t"}
_FALSE = {"0", "false", "no", "n", "f"}
_STATUSES = {s.value for s in TrialStatus}
_ERROR_KINDS = {k.value for k in ErrorKind}


def _bool(text: str) -> bool:
    low = text.strip().lower()
    if low in _TRUE:
        return True
    if low in _FALSE:
        return False
    raise ValueError(f"expected true/false or 1/0, got {text!r}")


MAX_FLOAT = 1e12  # no latency, cost or score is this large; 1e20 is a broken export
MAX_INT = 2**53  # counts above this are not counts, and would overflow SQLite's integers


def _float(text: str) -> float:
    value = float(text)
    if math.isnan(value) or math.isinf(value):
        raise ValueError(f"expected a finite number, got {text!r}")
    if abs(value) > MAX_FLOAT:
        raise ValueError(f"expected a number of at most {MAX_FLOAT:g}, got {text!r}")
    return value


def _int(text: str) -> int:
    value = float(text)
    if math.isnan(value) or math.isinf(value) or value != int(value) or value < 0:
        raise ValueError(f"expected a non-negative integer, got {text!r}")
    if value > MAX_INT:
        raise ValueError(f"expected an integer of at most {MAX_INT}, got {text!r}")
    return int(value)


def _nonempty(text: str) -> str:
    if not text.strip():
        raise ValueError("must not be empty")
    return text.strip()


def _one_of(allowed: set[str], what: str) -> Callable[[str], str]:
    def parse(text: str) -> str:
        value = text.strip()
        if value not in allowed:
            raise ValueError(f"unknown {what} {value!r}; expected one of {', '.join(sorted(allowed))}")
        return value

    return parse


PARSERS: dict[str, Callable[[str], Any]] = {
    "arm": _nonempty, "task_id": _nonempty, "context": _nonempty, "repeat": _int,
    "passed": _bool, "score": _float, "latency_s": _float, "cost_usd": _float,
    "prompt_tokens": _int, "completion_tokens": _int, "ttft_s": _float,
    "context_window": _int, "config_sha256": _nonempty,
    "status": _one_of(_STATUSES, "status"), "error_kind": _one_of(_ERROR_KINDS, "error kind"),
    "error_message": str, "attempts": _int, "truncated": _bool, "output_tps": _float,
    "context_utilization": _float, "response_hash": _nonempty, "session_position": _int,
}


def _header(first_line: str, path: str | Path) -> dict[str, Any]:
    try:
        data = json.loads(first_line[len(HEADER_PREFIX):])
        run = data["run"]
        if not isinstance(run, dict):
            raise TypeError
    except (ValueError, KeyError, TypeError, RecursionError):
        raise BadInput("the '# tamma-bench' header line is not valid", file=path, field="line 1") from None
    return run


def parse_csv(path: str | Path) -> list[dict[str, Any]]:
    return read_csv(path)[0]


def read_trials(path: str | Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(trial rows, header) from a CSV file, or from JSON Lines (``.jsonl``, as ``export
    --format jsonl`` writes; no header there: give the plan with ``--plan``)."""
    if str(path).endswith(".jsonl"):
        return read_jsonl(path), {}
    return read_csv(path)


def _cell(value: Any) -> str:
    """A JSON value as the text a CSV cell would hold, so both formats share one parser."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, (dict, list)):
        raise ValueError("expected a plain value, got a nested object")
    return str(value)


def read_jsonl(path: str | Path) -> list[dict[str, Any]]:
    p = Path(path)
    if not p.is_file():
        raise BadInput("file not found", file=path)
    try:
        lines = p.read_text(encoding="utf-8").splitlines()
    except UnicodeDecodeError:
        raise BadInput("not a UTF-8 text file", file=path) from None
    except OSError as exc:
        raise BadInput(f"cannot read: {exc.strerror}", file=path) from None
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str, int]] = set()
    for line_no, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
        except (ValueError, RecursionError):
            raise BadInput("not a JSON object", file=path, field=f"line {line_no}") from None
        if not isinstance(obj, dict):
            raise BadInput("not a JSON object", file=path, field=f"line {line_no}")
        missing = [c for c in REQUIRED if c not in obj]
        if missing:
            raise BadInput(f"missing required field(s): {', '.join(missing)}", file=path, field=f"line {line_no}")
        raw = {}
        for key in (*REQUIRED, *OPTIONAL):
            if key in obj:
                try:
                    raw[key] = _cell(obj[key])
                except ValueError as exc:
                    raise BadInput(str(exc), file=path, field=f"line {line_no}, field {key}") from None
        row = _row(raw, path, line_no)
        key3 = (row["arm"], row["task_id"], row["repeat"])
        if key3 in seen:
            raise BadInput(f"duplicate trial (arm {key3[0]!r}, task {key3[1]!r}, repeat {key3[2]})",
                           file=path, field=f"line {line_no}")
        seen.add(key3)
        rows.append(row)
    if not rows:
        raise BadInput("no trial rows", file=path)
    return rows


def read_csv(path: str | Path) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """(trial rows, the export header's run description or {})."""
    p = Path(path)
    if not p.is_file():
        raise BadInput("file not found", file=path)
    try:
        text = p.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise BadInput("not a UTF-8 text file", file=path) from None
    except OSError as exc:
        raise BadInput(f"cannot read: {exc.strerror}", file=path) from None
    header: dict[str, Any] = {}
    first_line_no = 2
    if text.startswith(HEADER_PREFIX):
        first, _, text = text.partition("\n")
        header = _header(first, path)
        first_line_no = 3
    reader = csv.DictReader(io.StringIO(text, newline=""))
    names = [h.strip() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED if c not in names]
    if missing:
        raise BadInput(f"missing required column(s): {', '.join(missing)}", file=path, field="header")
    reader.fieldnames = names
    rows: list[dict[str, Any]] = []
    seen: set[tuple[str, str, int]] = set()
    try:
        for line_no, raw in enumerate(reader, start=first_line_no):
            if None in raw or None in raw.values():  # csv's restkey / restval
                raise BadInput(f"row has {'more' if None in raw else 'fewer'} fields than the "
                               f"header's {len(names)}", file=path, field=f"line {line_no}")
            rows.append(_row(raw, path, line_no))
            key = (rows[-1]["arm"], rows[-1]["task_id"], rows[-1]["repeat"])
            if key in seen:
                raise BadInput(
                    f"duplicate trial (arm {key[0]!r}, task {key[1]!r}, repeat {key[2]})",
                    file=path, field=f"line {line_no}",
                )
            seen.add(key)
    except csv.Error as exc:
        raise BadInput(f"malformed CSV: {exc}", file=path, field=f"line {reader.line_num}") from None
    if not rows:
        raise BadInput("no trial rows", file=path)
    return rows, header


def _row(raw: dict[str, Any], path: str | Path, line_no: int) -> dict[str, Any]:
    status_text = (raw.get("status") or "").strip()
    errored = bool(status_text) and status_text != TrialStatus.OK
    row: dict[str, Any] = {}
    for col in (*REQUIRED, *OPTIONAL):
        text = raw.get(col)
        if text is None:
            continue
        if not text.strip() and (col in OPTIONAL or (errored and col in OUTCOME)):
            continue  # an errored trial has no outcome; optional cells may be blank
        try:
            row[col] = PARSERS[col](text)
        except ValueError as exc:
            raise BadInput(str(exc), file=path, field=f"line {line_no}, column {col}") from None
    row.setdefault("status", TrialStatus.OK.value)
    if row["status"] != TrialStatus.OK:
        row["passed"] = row["score"] = None  # never graded: not a failure of the answer
        row.setdefault("cost_usd", 0.0)
    return row


def _rate(value: Any, path: str | Path) -> float:
    """The run's max_error_rate (the export header's may have been edited by hand)."""
    if value is None:
        return 0.05
    try:
        rate = float(value)
    except (TypeError, ValueError):
        rate = float("nan")
    if not 0 <= rate <= 1:
        raise BadInput(f"max_error_rate must be between 0 and 1, got {value!r}", file=path, field="line 1")
    return rate


def _load_plan(path: str | Path) -> tuple[dict[str, Any], float | None]:
    """(analysis plan, max_error_rate or None) from a plan file: the plan's keys, plus an
    optional ``max_error_rate``; or an experiment file (its ``analysis`` and
    ``max_error_rate``)."""
    from tamma_tui.config.loader import read_mapping, validate_model
    from tamma_tui.config.models import AnalysisPlan

    data = dict(read_mapping(path))
    max_error_rate = data.pop("max_error_rate", None)
    if "analysis" in data:  # an experiment file
        data = data["analysis"] if isinstance(data["analysis"], dict) else {}
    if max_error_rate is not None:
        try:
            max_error_rate = _float(str(max_error_rate))
            if not 0 <= max_error_rate <= 1:
                raise ValueError(f"must be between 0 and 1, got {max_error_rate}")
        except ValueError as exc:
            raise BadInput(str(exc), file=path, field="max_error_rate") from None
    return validate_model(AnalysisPlan, data, path).model_dump(mode="json"), max_error_rate


def _arm_order(rows: list[dict[str, Any]], header: dict[str, Any], baseline: str) -> list[str]:
    seen = list(dict.fromkeys(r["arm"] for r in rows))
    listed = [a for a in header.get("arms") or [] if a in seen]
    ordered = listed + [a for a in seen if a not in listed]
    return [baseline] + [a for a in ordered if a != baseline]


def import_csv(
    db: Database,
    path: str | Path,
    *,
    baseline: str | None = None,
    name: str | None = None,
    plan: str | Path | None = None,
) -> int:
    """Validate the whole file (and the plan), then write the run in one transaction;
    return its id."""
    rows, header = read_trials(path)
    analysis, max_error_rate = header.get("analysis") or {}, header.get("max_error_rate")
    if plan is not None:
        analysis, from_plan = _load_plan(plan)
        max_error_rate = from_plan if from_plan is not None else max_error_rate
    baseline = baseline or header.get("baseline") or "baseline"
    arms = list(dict.fromkeys(r["arm"] for r in rows))
    if len(arms) == 1:
        baseline = arms[0]  # one configuration benchmarked alone: a history point, not an A/B
    if baseline not in arms:
        raise BadInput(
            f"baseline arm {baseline!r} not found; arms are {', '.join(arms)} (use --baseline NAME)",
            file=path, field="arm",
        )
    ordered = _arm_order(rows, header, baseline)
    found = {r["context"] for r in rows}
    contexts = [c for c in header.get("contexts") or [] if c in found] + sorted(
        found - set(header.get("contexts") or []))
    repeats = max(r["repeat"] for r in rows) + 1
    arm_sha = {r["arm"]: r.get("config_sha256") for r in rows if r.get("config_sha256")}
    arm_sha = {**(header.get("arm_configs") or {}), **arm_sha}
    with transaction(db) as session:
        # A foreign key must point at a stored config version; imported hashes are kept on
        # the trials and linked to the arm only when that version is known here.
        known = repo.known_config_shas(session, arm_sha.values())
        run_id = repo.create_run(
            session,
            name=name or Path(path).stem,
            kind=RunKind.IMPORT,
            status=RunStatus.COMPLETED,
            suite=f"import:{Path(path).name}",
            contexts=contexts,
            trials_per_task=int(header.get("trials_per_task") or repeats),
            seed=int(header.get("seed") or 0),
            total_trials=max(int(header.get("total_trials") or 0), len(rows)),  # planned, as exported
            analysis=analysis,
            max_error_rate=_rate(max_error_rate, path),
            suite_version=str(header.get("suite_version") or ""),
            arms=[(a, a == baseline, arm_sha.get(a) if arm_sha.get(a) in known else None) for a in ordered],
        )
        trials = [
            {
                **r,
                "run_id": run_id,
                "context_utilization": r.get("context_utilization", (r["prompt_tokens"] / r["context_window"])
                                             if r.get("context_window") and r.get("prompt_tokens") is not None
                                             else None),
            }
            for r in rows
        ]
        # Same transaction as the run: an import lands whole or not at all.
        conn = session.connection()
        for start in range(0, len(trials), 5000):
            repo.insert_trials(conn, trials[start : start + 5000])
        cost = math.fsum(r.get("cost_usd") or 0.0 for r in rows)
        repo.update_run(conn, run_id, cost_usd=cost, finished_at=utcnow())
    return run_id
