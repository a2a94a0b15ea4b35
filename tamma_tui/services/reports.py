"""Build the comparison report of a stored run and render it as a rich table, Markdown or JSON.

Defaults come from the run's stored analysis plan (``Run.analysis_json``); options given
by the caller override them. The CLI and the app both call `report_for_run`.
"""

from __future__ import annotations

import json
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:  # the store owns SQL; services only pass its engine along
    from sqlalchemy.engine import Engine

from tamma_tui.analysis.metrics import format_halfwidth, format_value, short_label

_OPTION_NAMES = ("alpha", "correction", "primary_metric", "guardrails", "context", "robustness",
                 "n_resamples", "seed", "midp", "secondary_metrics", "utility")


def report_for_run(db_engine: Engine, run_id: int | str, **options: Any) -> dict[str, Any]:
    """The schema-version-2 report of one run, plus `run` details and `sequential_looks`."""
    from tamma_tui.analysis.report import build_report
    from tamma_tui.analysis.sequential import stored_looks
    from tamma_tui.analysis.sessions import session_report
    from tamma_tui.config.errors import BadInput
    from tamma_tui.store import queries, repo

    unknown = set(options) - set(_OPTION_NAMES)
    if unknown:
        raise TypeError(f"unknown report options: {sorted(unknown)}")
    run = repo.get_run(db_engine, run_id)
    try:
        plan = json.loads(run.analysis_json or "{}") or {}
    except json.JSONDecodeError:
        plan = {}
    settings: dict[str, Any] = {
        "alpha": plan.get("alpha", 0.05),
        "correction": plan.get("correction", "holm"),
        "primary_metric": plan.get("primary_metric", "pass_rate"),
        "guardrails": plan.get("guardrails") or [],
        "midp": bool(plan.get("midp", False)),
        "secondary_metrics": plan.get("secondary_metrics"),
        "utility": plan.get("utility"),
        "max_error_rate": getattr(run, "max_error_rate", None),
        "trials_per_task": run.trials_per_task,
    }
    settings.update({k: v for k, v in options.items() if v is not None})
    arms = [{"name": a["name"], "baseline": a["baseline"], "config_sha256": a["config_sha256"]}
            for a in queries.arm_configs(db_engine, run.id)]
    columns = ["arm", "task_id", "context", "repeat", "status", "passed", "score", "latency_s", "ttft_s",
               "cost_usd", "prompt_tokens", "completion_tokens", "context_utilization", "session_position"]
    frame = queries.load_trials_frame(db_engine, run.id, columns=columns)
    if frame.empty:
        raise BadInput(f"run {run.id} has no trials to report on", field="RUN")
    if plan.get("pool_baseline_history"):
        from tamma_tui.analysis.history_pool import pool_baseline_history

        frame, settings["history"] = pool_baseline_history(db_engine, run, frame, arms,
                                                           alpha=settings["alpha"])
    report = build_report(frame, run_id=run.id, arms=arms or None, **settings)
    report["run"] = {"name": run.name, "kind": run.kind, "status": run.status, "suite": run.suite,
                     "trials_per_task": run.trials_per_task, "sequential": bool(run.sequential)}
    sessions = session_report(frame, alpha=report["alpha"])
    if sessions:
        report["sessions"] = sessions
    looks = stored_looks(db_engine, run.id)
    if looks:
        report["sequential_looks"] = looks
        if run.sequential:
            from tamma_tui.analysis.sequential import decide_from_sequence

            decide_from_sequence(report, looks)
    return report


def render_report(report: dict[str, Any], fmt: Literal["table", "md", "json"] = "table", *,
                  brief: bool = False) -> Any:
    """JSON text, Markdown text, or a rich renderable (a Group of tables and the decision).

    ``brief`` (table only) keeps the all-contexts comparisons, the guardrails and the
    decision: what the demo prints after its per-context matrices."""
    if fmt == "json":
        return json.dumps(report, indent=2)
    if fmt == "md":
        return render_markdown(report)
    if fmt == "table":
        return render_rich(report, brief=brief)
    raise ValueError(f"unknown format {fmt!r}")


# ---------------------------------------------------------------- shared cell text


def _p(value: float | None) -> str:
    if value is None:
        return "-"
    return "<0.001" if value < 0.001 else f"{value:.3f}"


def _ci(metric: str, low: float | None, high: float | None, *, signed: bool = False) -> str:
    if low is None or high is None:
        return "-"
    return f"[{format_value(metric, low, signed=signed, unit=False)}, {format_value(metric, high, signed=signed, unit=False)}]"


_EFFECT_LABELS = {"risk_difference": "RD", "cohens_dz": "d_z"}


def _effect(row: dict[str, Any]) -> str:
    effect = row.get("effect_size") or {}
    value = effect.get("value")
    name = _EFFECT_LABELS.get(effect.get("name"), effect.get("name"))
    return "-" if value is None else f"{name} {value:+.3g}"


def _title(report: dict[str, Any]) -> str:
    run = report.get("run") or {}
    name = f" ({run['name']}, {run.get('status', '')})" if run.get("name") else ""
    fams = report.get("families") or {}
    if fams:
        conf, sec, exp = (fams.get(k, {}).get("n_rows", 0) for k in ("confirmatory", "secondary", "exploratory"))
        return (f"Run {report['run_id']}{name}: alpha {report['alpha']:g}; confirmatory {conf} "
                f"({report['correction']}), secondary {sec} (gatekept, holm), exploratory {exp} (BH q)")
    return (f"Run {report['run_id']}{name}: alpha {report['alpha']:g}, "
            f"{report['correction']} correction over {len(report['comparisons'])} comparisons")


def _summary_grid(report: dict[str, Any]) -> tuple[list[str], list[list[str]]]:
    """One row per (arm, context), one column per metric: mean [CI]."""
    metrics: list[str] = []
    cells: dict[tuple[str, str], dict[str, str]] = {}
    for r in report["summary"]:
        if r["metric"] not in metrics:
            metrics.append(r["metric"])
        text = format_value(r["metric"], r["mean"])
        if r["ci_low"] is not None:
            text += f" ±{format_value(r['metric'], (r['ci_high'] - r['ci_low']) / 2, unit=False)}"
        cells.setdefault((r["arm"], r["context"]), {})[r["metric"]] = text
    header = ["arm", "context", "tasks", *metrics]
    n_tasks = {(r["arm"], r["context"]): r["n_tasks"] for r in report["summary"]
               if r["metric"] == (metrics[0] if metrics else None)}
    rows = [[arm, ctx, str(n_tasks.get((arm, ctx), "-")), *(vals.get(m, "-") for m in metrics)]
            for (arm, ctx), vals in cells.items()]
    return header, rows


def _summary_by_context(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """Per context: metrics down, arms across (mean ±half interval); fits 80 columns."""
    arms = [a["name"] for a in report["arms"]]
    out: dict[str, dict[str, dict[str, str]]] = {}
    tasks: dict[str, dict[str, int]] = {}
    for r in report["summary"]:
        text = format_value(r["metric"], r["mean"])
        if r["ci_low"] is not None and r["ci_high"] is not None:
            text += f" ±{format_halfwidth(r['metric'], (r['ci_high'] - r['ci_low']) / 2)}"
        out.setdefault(r["context"], {}).setdefault(r["metric"], {})[r["arm"]] = text
        tasks.setdefault(r["context"], {})[r["arm"]] = r["n_tasks"]
    tables = []
    for context, by_metric in out.items():
        rows = [["tasks", *(str(tasks[context].get(a, "-")) for a in arms)]]
        rows += [[short_label(metric), *(vals.get(a, "-") for a in arms)] for metric, vals in by_metric.items()]
        tables.append((context, ["metric", *arms], rows))
    return tables


_COMPARISON_HEADER = ["variant", "context", "metric", "family", "pairs", "diff", "CI", "test", "p", "p adj",
                      "effect", "direction", "wilcoxon p", "bootstrap CI"]
_FAMILY_SHORT = {"confirmatory": "conf", "secondary": "sec", "exploratory": "expl", None: "-"}


def _comparison_cells(row: dict[str, Any]) -> list[str]:
    rob = row.get("robustness") or {}
    boot = rob.get("bootstrap") or {}
    metric = row["metric"]
    pairs = str(row["n_pairs"]) + (f" (+{row['n_unpaired']} unpaired)" if row.get("n_unpaired") else "")
    return [row["variant"], row["context"], metric, row.get("family") or "-", pairs,
            format_value(metric, row["diff"], signed=True),
            _ci(metric, row["ci_low"], row["ci_high"], signed=True), row["test"], _p(row["p_value"]),
            _p(row["p_adjusted"]), _effect(row), row["direction"],
            _p((rob.get("wilcoxon") or {}).get("p_value")),
            _ci(metric, boot.get("ci_low"), boot.get("ci_high"), signed=True)]


_ARMS_HEADER = ["arm", "baseline", "config", "trials", "errors", "void grades"]


def _arm_rows(report: dict[str, Any]) -> list[list[str]]:
    # Void grades (the agent's code tampered with its grading) count as failures in the
    # figures and are shown apart here.
    return [[a["name"], "yes" if a["baseline"] else "", (a.get("config_sha256") or "-")[:12],
             str(a.get("n_trials")), str(a.get("n_errors", 0)), str(a.get("void_grades", 0))]
            for a in report["arms"]]


def _guardrail_cells(g: dict[str, Any]) -> list[str]:
    margin = format_value(g["metric"], g["margin"], signed=True).lstrip("+")  # a difference
    return [g["variant"], g["metric"], margin,
            "yes" if g["non_inferior"] else "no", _p(g["p_value"])]


def _noise_cells(n: dict[str, Any]) -> list[str]:
    band = "-" if n["band"] is None else "±" + format_value(n["metric"], n["band"], signed=True).lstrip("+")
    return [n["metric"], str(n["n_pairs"]), format_value(n["metric"], n["diff"], signed=True), band]


def _look_cells(look: dict[str, Any]) -> list[str]:
    parts = []
    for name, res in look["results"].items():
        metric = look["metric"]
        if "state" in res:  # confidence sequence (v2)
            est = format_value(metric, res.get("estimate"), signed=True)
            parts.append(f"{name}: {est} CS {_ci(metric, res.get('ci_low'), res.get('ci_high'), signed=True)} "
                         f"{res['state']}")
        else:
            diff = format_value(metric, res.get("diff"), signed=True)
            parts.append(f"{name}: {diff}, p={_p(res.get('p_value'))}")
    return [str(look["look"]), str(look["n_tasks"]), "; ".join(parts), look["decision"]]


def _component_rows(report: dict[str, Any]) -> list[list[str]]:
    def f(v: Any) -> str:
        return "-" if v is None else f"{v:.3g}"

    return [[c["variant"]["arm"], c["metric"], f(c["baseline"]["between_task_var"]), f(c["baseline"]["within_task_var"]),
             f(c["baseline"]["icc"]), f(c["between_arm_correlation"]), c["advice"]]
            for c in report.get("variance_components") or []]


_COMPONENT_HEADER = ["variant", "metric", "between-task var", "within-task var", "ICC", "arm corr", "advice"]


def _session_tables(report: dict[str, Any]) -> list[tuple[str, list[str], list[list[str]]]]:
    """Quality and context use by position in a mixed session, and the switching cost."""
    sessions = report.get("sessions")
    if not sessions:
        return []
    out = []
    rows = [[p["arm"], str(p["first"]) if p["first"] == p["last"] else f"{p['first']}-{p['last']}", str(p["n"]), format_value("pass_rate", p["pass_rate"]),
             format_value("score", p["score"]), format_value("context_utilization", p["context_utilization"])]
            for p in sessions["by_position"]]
    out.append(("Mixed sessions: quality and context use by position in the conversation",
                ["arm", "positions", "n", "pass rate", "score", "ctx util"], rows))
    if sessions["switching_cost"]:
        rows = [[c["arm"], short_label(c["metric"]), str(c["n_tasks"]),
                 format_value(c["metric"], c["isolated_mean"]), format_value(c["metric"], c["mixed_mean"]),
                 format_value(c["metric"], c["diff"], signed=True, unit=False),
                 _ci(c["metric"], c["ci_low"], c["ci_high"], signed=True), _p(c["p_value"])]
                for c in sessions["switching_cost"]]
        out.append(("Switching cost: the mixed session minus the same tasks run in isolation",
                    ["arm", "metric", "tasks", "isolated", "mixed", "diff", "95% CI", "p"], rows))
    return out


def _decision_lines(report: dict[str, Any]) -> list[str]:
    d = report["decision"]
    head = f"Winner: {d['winner']}" if d["winner"] else "Winner: none, keep the baseline"
    return [f"{head} (primary metric {d['primary_metric']}, context {d.get('context', 'all')})",
            *d["reasons"], *_flaky_lines(report)]


def _flaky_lines(report: dict[str, Any]) -> list[str]:
    """How much of each difference rests on tasks whose repeats disagree (kept, not dropped)."""
    out = []
    for f in report.get("flaky") or []:
        if not f["flaky_tasks"] or f["carried_by_flaky"] is None:
            continue
        m = f["metric"]
        out.append(f"Flaky tasks: {f['variant']} has {f['flaky_tasks']} of {f['tasks']} tasks whose repeats "
                   f"disagree; they carry {format_value(m, f['carried_by_flaky'], signed=True)} of its "
                   f"{format_value(m, f['diff'], signed=True)} {m} difference (kept in the test).")
    return out


# ---------------------------------------------------------------- Markdown


def _md_table(header: list[str], rows: list[list[str]]) -> str:
    esc = lambda s: str(s).replace("|", "\\|")  # noqa: E731
    lines = ["| " + " | ".join(esc(h) for h in header) + " |", "|" + "---|" * len(header)]
    lines += ["| " + " | ".join(esc(c) for c in row) + " |" for row in rows]
    return "\n".join(lines)


def render_markdown(report: dict[str, Any]) -> str:
    out = [f"# Report: {_title(report)}", ""]
    out += ["## Arms", "", _md_table(_ARMS_HEADER, _arm_rows(report)), ""]
    out += ["## Summary", "", "Mean per arm and context, ± half the 95% interval (task-clustered SE).", "",
            _md_table(*_summary_grid(report)), ""]
    out += ["## Comparisons", "", "Paired by task, variant minus baseline; sign-flip permutation test. "
            "Family: confirmatory (decides), secondary (gatekept), exploratory (BH q-values, for looking). "
            "Robustness checks: Wilcoxon signed-rank p and the studentised cluster-bootstrap interval.", "",
            _md_table(_COMPARISON_HEADER, [_comparison_cells(r) for r in report["comparisons"]]), ""]
    if report["decision"]["guardrails"]:
        out += ["## Guardrails (one-sided non-inferiority)", "", _md_table(
            ["variant", "metric", "margin", "non-inferior", "p"],
            [_guardrail_cells(g) for g in report["decision"]["guardrails"]]), ""]
    if report.get("variance_components"):
        out += ["## Variance components (Miller 2024)", "", _md_table(_COMPONENT_HEADER, _component_rows(report)), ""]
    if report.get("noise_band"):
        out += ["## A/A noise band", "", "Differences inside the band mean nothing.", "", _md_table(
            ["metric", "pairs", "A/A diff", "band"], [_noise_cells(n) for n in report["noise_band"]]), ""]
    for title, header, rows in _session_tables(report):
        out += [f"## {title}", "", _md_table(header, rows), ""]
    if report.get("sequential_looks"):
        out += ["## Sequential looks", "", _md_table(
            ["look", "tasks", "confidence sequence per variant", "decision"],
            [_look_cells(look) for look in report["sequential_looks"]]), ""]
    lines = _decision_lines(report)
    out += ["## Decision", "", f"**{lines[0]}**", ""] + [f"- {r}" for r in lines[1:]] + [""]
    return "\n".join(out)


# ---------------------------------------------------------------- rich


def render_rich(report: dict[str, Any], *, brief: bool = False):
    from rich import box
    from rich.console import Group
    from rich.markup import escape
    from rich.panel import Panel
    from rich.table import Table
    from rich.text import Text

    def table(title: str, header: list[str], rows: list[list[str]], right: int = 0) -> Table:
        t = Table(title=title, title_justify="left", show_lines=False)
        for i, h in enumerate(header):
            t.add_column(h, justify="right" if i >= right and right else "left", overflow="fold",
                         no_wrap=i == 0)
        for row in rows:
            t.add_row(*row)
        return t

    # One compact table per (variant, context), plus one per variant for the robustness
    # checks: narrow enough for an 80-column terminal.
    style = {"better": "green", "worse": "red"}
    # Pairs go in the title (one count per table), which keeps the rows to 80 columns.
    main_cols = ["metric", "fam", "diff", "95% CI", "p adj", "effect", "dir"]
    robust_cols = ["context", "metric", "test", "p", "wilcoxon p", "bootstrap CI"]
    comparison_tables: list[Any] = []
    robustness_tables: dict[str, Table] = {}
    current: dict[tuple[str, str], Table] = {}
    for r in report["comparisons"]:
        if brief and r["context"] != "all":
            continue
        key = (r["variant"], r["context"])
        if key not in current:
            t = Table(title=f"{r['variant']} vs {r['baseline']}, context {r['context']}: variant - baseline "
                            f"over {r['n_pairs']} paired tasks"
                            + (f" ({r['n_unpaired']} unpaired left out)" if r.get("n_unpaired") else ""),
                      title_justify="left", box=box.SIMPLE_HEAD, pad_edge=False)
            for h in main_cols:
                t.add_column(h, justify="left" if h in ("metric", "dir", "fam") else "right", no_wrap=True)
            current[key] = t
            comparison_tables.append(t)
        cells = dict(zip(_COMPARISON_HEADER, _comparison_cells(r)))
        cells["context"] = r["context"]
        cells["dir"] = r["direction"]
        cells["diff"] = format_value(r["metric"], r["diff"], signed=True, unit=False)
        cells["95% CI"] = _ci(r["metric"], r["ci_low"], r["ci_high"], signed=True)
        cells["effect"] = "-" if r["effect_size"]["value"] is None else f"{r['effect_size']['value']:+.3g}"
        cells["metric"] = short_label(r["metric"])
        cells["fam"] = _FAMILY_SHORT.get(r.get("family"), "-")
        current[key].add_row(*(cells[c] for c in main_cols), style=style.get(r["direction"]))
        if r.get("robustness"):
            if r["variant"] not in robustness_tables:
                t = Table(title=f"{r['variant']}: test p and robustness checks (Wilcoxon signed-rank, "
                                "studentised cluster bootstrap)", title_justify="left", box=box.SIMPLE_HEAD,
                          pad_edge=False)
                for h in robust_cols:
                    t.add_column(h, justify="left" if h in ("context", "metric", "test") else "right",
                                 overflow="fold")
                robustness_tables[r["variant"]] = t
            robustness_tables[r["variant"]].add_row(*(cells[c] for c in robust_cols))

    parts: list[Any] = [Text(_title(report), style="bold")]
    parts.append(table("Arms", _ARMS_HEADER, _arm_rows(report), right=3))
    if not brief:
        for context, header, rows in _summary_by_context(report):
            parts.append(table(f"Summary, context {context} (mean ± half the 95% interval)", header, rows,
                               right=1))
    parts.extend(comparison_tables)
    if not brief:
        parts.extend(robustness_tables.values())
    if report["decision"]["guardrails"]:
        parts.append(table("Guardrails (one-sided non-inferiority)", ["variant", "metric", "margin",
                           "non-inferior", "p"], [_guardrail_cells(g) for g in report["decision"]["guardrails"]]))
    if report.get("variance_components") and not brief:
        parts.append(table("Variance components (Miller 2024)", _COMPONENT_HEADER, _component_rows(report)))
    if report.get("noise_band") and not brief:
        parts.append(table("A/A noise band: differences inside it mean nothing",
                           ["metric", "pairs", "A/A diff", "band"],
                           [_noise_cells(n) for n in report["noise_band"]], right=1))
    if not brief:
        for title, header, rows in _session_tables(report):
            parts.append(table(title, header, rows, right=1))
    if report.get("sequential_looks"):
        parts.append(table("Sequential looks", ["look", "tasks", "confidence sequence per variant", "decision"],
                           [_look_cells(look) for look in report["sequential_looks"]]))
    parts.append(Text("diff: pass rate in points, cost in $, latency in s; effect: risk difference "
                      "for pass_rate, d_z for the other metrics", style="dim"))
    lines = _decision_lines(report)
    winner = report["decision"]["winner"]
    parts.append(Panel("\n".join(["[bold]" + escape(lines[0]) + "[/bold]", *("• " + escape(r) for r in lines[1:])]),
                       title="Decision", border_style="green" if winner else "yellow"))
    return Group(*parts)
