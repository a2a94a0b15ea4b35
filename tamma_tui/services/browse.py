"""What the app browses: the store's listings (``store/views.py``) and a few words about them.

The queries live in the store; this module hands them on under their wave-1 names, so
screens and commands import one place.
"""

from __future__ import annotations

from typing import Any

from tamma_tui.store.views import (  # noqa: F401 - re-exported for the app
    AnswerView,
    ArmContextProgress,
    ConfigSummary,
    ConfigVersionView,
    DiscordantTask,
    ExperimentSummary,
    HIGHER_IS_BETTER,
    PaletteIndex,
    RunDetail,
    RunSummary,
    TREND_METRICS,
    TRIAL_COLUMNS,
    TrendPoint,
    TrialTable,
    config_history,
    config_trend,
    discordant_tasks,
    experiment_spec_yaml,
    latest_run_of_experiment,
    list_configs,
    list_experiments,
    palette_index,
    recent_runs,
    run_detail,
    run_progress,
    stamp,
    task_answers,
    trial_table,
)


def diff_versions(old: ConfigVersionView, new: ConfigVersionView) -> str:
    from tamma_tui.services.configs import diff_canonical

    return diff_canonical(
        old.canonical_yaml, new.canonical_yaml,
        f"{old.agent_id} v{old.version} ({old.sha256[:12]})",
        f"{new.agent_id} v{new.version} ({new.sha256[:12]})",
    )


# --- reports, in words ------------------------------------------------------------------


def decision_line(report: dict[str, Any]) -> str:
    """A report's decision in a few words, for listings."""
    decision = report.get("decision") or {}
    winner = decision.get("winner")
    return f"winner: {winner}" if winner else "no winner"
