"""The report renderers: Markdown and rich tables carry every section of the JSON report."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
from rich.console import Console

from tamma_tui.analysis.report import build_report
from tamma_tui.services.reports import render_report


def _frame(arms=("baseline", "baseline-aa"), n_tasks=24, seed=1) -> pd.DataFrame:
    rng = np.random.default_rng(seed)
    rows = []
    for arm in arms:
        for t in range(n_tasks):
            passed = float(rng.random() < 0.6)
            rows.append({"arm": arm, "task_id": f"t{t}", "context": ("development", "testing")[t % 2],
                         "repeat": 0, "status": "ok", "passed": passed, "score": passed,
                         "latency_s": float(rng.uniform(1, 3)), "cost_usd": 0.002})
    return pd.DataFrame(rows)


def _report():
    return build_report(_frame(arms=("baseline", "v", "baseline-aa")), run_id=3,
                        guardrails=[("latency_s", 0.5)])


def test_markdown_has_noise_band_guardrails_and_decision():
    md = render_report(_report(), "md")
    assert md.startswith("# Report: Run 3")
    for heading in ("## Arms", "## Summary", "## Comparisons", "## Guardrails", "## A/A noise band",
                    "## Decision"):
        assert heading in md
    band = next(n for n in _report()["noise_band"] if n["metric"] == "latency_s")
    assert f"±{band['band']:.3g} s" in md
    assert "**Winner: none, keep the baseline" in md


def test_markdown_escapes_pipes_in_names():
    frame = _frame(arms=("baseline", "a|b"))
    md = render_report(build_report(frame, run_id=1), "md")
    assert "a\\|b" in md and "| a|b |" not in md


def test_rich_output_renders_every_section():
    console = Console(record=True, width=140)
    console.print(render_report(_report(), "table"))
    text = console.export_text()
    for part in ("Arms", "Summary", "v vs baseline, context all", "v vs baseline, context testing",
                 "conf", "expl", "Confirmatory family", "Missingness check", "Variance components",
                 "wilcoxon p", "bootstrap CI", "Guardrails", "A/A noise band", "Decision", "Winner: none",
                 "baseline-aa is baseline run again (A/A)"):
        assert part in text


def test_json_rendering_is_the_report_itself():
    report = _report()
    assert json.loads(render_report(report, "json")) == json.loads(json.dumps(report))
