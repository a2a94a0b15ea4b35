"""Per-arm results of a run (``show``), run listings, and trial exports."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Iterator, Sequence

from tamma_tui.store import queries, repo, views
from tamma_tui.store.handle import Database
from tamma_tui.vocabulary import TrialStatus

if TYPE_CHECKING:
    import pandas as pd

#: Columns of ``export`` (a superset of the ``import`` contract, so exports re-import).
EXPORT_COLUMNS: tuple[str, ...] = (
    "arm", "task_id", "context", "repeat", "passed", "score", "latency_s", "cost_usd",
    "prompt_tokens", "completion_tokens", "ttft_s", "context_window", "config_sha256",
    "status", "output_tps", "context_utilization", "truncated", "attempts", "error_kind",
    "error_message", "response_hash", "session_position", "started_at", "finished_at",
)


@dataclass(frozen=True)
class ArmStats:
    """One row of ``show``: the headline numbers of an arm (in one context or all)."""

    arm: str
    context: str
    trials: int
    errors: int
    pass_rate: float
    mean_score: float
    latency_p50: float
    latency_p95: float
    ttft_mean: float
    total_cost: float
    cost_per_pass: float
    util_mean: float
    util_peak: float

    @property
    def error_rate(self) -> float:
        return self.errors / self.trials if self.trials else 0.0


def _stats(arm: str, context: str, group: "pd.DataFrame") -> ArmStats:
    # Over no ok trials, pandas' mean, quantile and max are NaN: shown as a dash.
    ok = group[group["status"] == TrialStatus.OK]
    passes = float(ok["passed"].sum())
    cost = float(group["cost_usd"].sum())
    return ArmStats(
        arm=arm,
        context=context,
        trials=len(group),
        errors=len(group) - len(ok),
        pass_rate=float(ok["passed"].mean()),
        mean_score=float(ok["score"].mean()),
        latency_p50=float(ok["latency_s"].quantile(0.5)),
        latency_p95=float(ok["latency_s"].quantile(0.95)),
        ttft_mean=float(ok["ttft_s"].mean()),
        total_cost=cost,
        cost_per_pass=cost / passes if passes else float("nan"),
        util_mean=float(ok["context_utilization"].mean()),
        util_peak=float(ok["context_utilization"].max()),
    )


def arm_stats(frame: "pd.DataFrame", arms: Sequence[str], *, by_context: bool = False) -> list[ArmStats]:
    """Headline numbers per arm (and per context when asked), in the run's arm order."""
    out: list[ArmStats] = []
    for arm in arms:
        group = frame[frame["arm"] == arm]
        out.append(_stats(arm, "all", group))
        if by_context:
            for context in sorted(set(group["context"].astype(str))):
                out.append(_stats(arm, context, group[group["context"] == context]))
    return out


@dataclass(frozen=True)
class RunView:
    run: Any
    arms: list[dict[str, Any]]
    stats: list[ArmStats]


def show_run(db: Database, run_id: int | str, *, by_context: bool = False) -> RunView:
    run = repo.get_run(db, run_id)
    arms = queries.arm_configs(db, run.id)
    frame = queries.load_trials_frame(db, run.id)
    return RunView(run=run, arms=arms, stats=arm_stats(frame, [a["name"] for a in arms], by_context=by_context))


def _fmt(value: float, spec: str) -> str:
    return "–" if value != value else format(value, spec)  # NaN -> dash


SHOW_METRICS: tuple[tuple[str, str, str], ...] = (
    # (attribute, heading, format)
    ("pass_rate", "pass rate", ".1%"),
    ("mean_score", "score", ".3f"),
    ("latency_p50", "p50 latency s", ".2f"),
    ("latency_p95", "p95 latency s", ".2f"),
    ("ttft_mean", "TTFT s", ".3f"),
    ("total_cost", "cost $", ".4f"),
    ("cost_per_pass", "$ / pass", ".5f"),
    ("util_mean", "ctx util", ".1%"),
    ("util_peak", "ctx peak", ".1%"),
    ("error_rate", "errors", ".1%"),
)


def render_run(view: RunView, *, by_context: bool = False, metrics: tuple[str, ...] | None = None):
    """A rich renderable: the per-arm table, or one arm x context matrix per metric
    (all of SHOW_METRICS, or the attributes named in ``metrics``)."""
    from rich.console import Group
    from rich.table import Table

    run = view.run
    title = (
        f"run {run.id} · {run.name} · {run.status} · suite {run.suite or '–'} · "
        f"{run.trials_per_task} trial(s)/task"
    )
    if not by_context:
        # Metrics down, arms across: fits 80 columns for up to four arms.
        table = Table(title=title, title_justify="left")
        table.add_column("metric")
        overall = [s for s in view.stats if s.context == "all"]
        for s in overall:
            baseline = any(a["baseline"] and a["name"] == s.arm for a in view.arms)
            label = f"{s.arm} (baseline)" if baseline and s.arm != "baseline" else s.arm
            table.add_column(label, justify="right")
        table.add_row("trials", *(str(s.trials) for s in overall))
        for attr, heading, spec in SHOW_METRICS:
            table.add_row(heading, *(_fmt(getattr(s, attr), spec) for s in overall))
        return table
    contexts = sorted({s.context for s in view.stats if s.context != "all"}) + ["all"]
    cells = {(s.arm, s.context): s for s in view.stats}
    tables = []
    for attr, heading, spec in SHOW_METRICS:
        if metrics is not None and attr not in metrics:
            continue
        table = Table(title=f"{heading} by arm x context" if tables else f"{title}\n{heading} by arm x context",
                      title_justify="left")
        table.add_column("arm")
        for c in contexts:
            table.add_column(c, justify="right")
        for arm in [a["name"] for a in view.arms]:
            table.add_row(arm, *(_fmt(getattr(cells[(arm, c)], attr), spec) if (arm, c) in cells else "–"
                                 for c in contexts))
        tables.append(table)
    return Group(*tables)


#: The first line of a CSV export: the run's identity, arm order and analysis plan, so an
#: import of the file decides exactly as the original run did. ``import`` reads it; other
#: CSV readers skip it as a comment (pandas: ``comment="#"``) or use ``--no-header``.
HEADER_PREFIX = "# tamma-bench "


def export_header(db: Database, run_id: int | str) -> dict[str, Any]:
    run = repo.get_run(db, run_id)
    arms = queries.arm_configs(db, run.id)
    try:
        analysis = json.loads(run.analysis_json or "{}")
    except ValueError:
        analysis = {}
    return {
        "format": 1,
        "run": {
            "id": run.id, "name": run.name, "kind": run.kind, "suite": run.suite,
            "suite_version": getattr(run, "suite_version", "") or "",
            "contexts": [c for c in (run.contexts or "").split(",") if c],
            "trials_per_task": run.trials_per_task, "seed": run.seed, "total_trials": run.total_trials,
            "max_error_rate": run.max_error_rate,
            "baseline": next((a["name"] for a in arms if a["baseline"]), arms[0]["name"] if arms else None),
            "arms": [a["name"] for a in arms],
            "arm_configs": {a["name"]: a["config_sha256"] for a in arms if a["config_sha256"]},
            "analysis": analysis,
        },
    }


def iter_export_rows(db: Database, run_id: int | str) -> Iterator[dict[str, Any]]:
    """Every trial of a run (errored ones too) as a plain dict of EXPORT_COLUMNS: arms in
    run order (baseline first), then task and repeat."""
    run = repo.get_run(db, run_id)
    return views.export_rows(db, int(run.id), EXPORT_COLUMNS)


def export_run(db: Database, run_id: int | str, fmt: str, stream, *, header: bool = True) -> int:
    """Write a run's trials as CSV or JSON Lines to ``stream``; return the row count.

    CSV starts with the header line (see HEADER_PREFIX) unless ``header`` is False."""
    import csv

    n = 0
    if fmt == "csv":
        if header:
            stream.write(HEADER_PREFIX + json.dumps(export_header(db, run_id), sort_keys=True) + "\n")
        writer = csv.DictWriter(stream, fieldnames=list(EXPORT_COLUMNS), lineterminator="\n")
        writer.writeheader()
        for row in iter_export_rows(db, run_id):
            if row["passed"] is not None:
                row["passed"] = int(row["passed"])
            if row["truncated"] is not None:
                row["truncated"] = int(row["truncated"])
            writer.writerow(row)
            n += 1
    else:
        for row in iter_export_rows(db, run_id):
            stream.write(json.dumps(row, sort_keys=False) + "\n")
            n += 1
    return n
