"""Per-task flakiness: how often a task's outcome flips between identical attempts.

Attempts are the graded trials of one configuration (same config hash) on one task, in run
and repeat order. The flip rate is the share of successive attempts whose pass/fail differs;
a task that passes with probability p flips at rate 2p(1 - p) when attempts are independent,
so 0.5 is as unstable as a task can be. A task is flaky when it has at least
``MIN_ATTEMPTS`` attempts and a flip rate of at least ``FLAKY_FLIP_RATE``.
"""

from __future__ import annotations

from dataclasses import dataclass, asdict
from typing import Any, Iterable, Mapping

MIN_ATTEMPTS = 3
FLAKY_FLIP_RATE = 0.2


@dataclass(frozen=True)
class TaskStability:
    task_id: str
    context: str
    attempts: int
    pass_rate: float
    flips: int
    flip_rate: float
    flaky: bool

    def as_dict(self) -> dict[str, Any]:
        return asdict(self)


def task_stability(outcomes: Iterable[tuple], config_of: Mapping[tuple[int, str], str | None]) -> list[TaskStability]:
    """``outcomes``: (run_id, arm, context, task_id, repeat, passed) in run/repeat order;
    ``config_of`` maps (run_id, arm) to its config hash (attempts of different configs are
    never compared). Most unstable first."""
    sequences: dict[tuple[str, str, str], list[int]] = {}
    for run_id, arm, context, task_id, _repeat, passed in outcomes:
        sha = config_of.get((run_id, arm)) or f"arm:{arm}"
        sequences.setdefault((task_id, context, sha), []).append(int(passed))
    merged: dict[tuple[str, str], list[int]] = {}  # per task: attempts, passes, flips, pairs
    for (task_id, context, _sha), seq in sequences.items():
        acc = merged.setdefault((task_id, context), [0, 0, 0, 0])
        acc[0] += len(seq)
        acc[1] += sum(seq)
        acc[2] += sum(1 for a, b in zip(seq, seq[1:]) if a != b)
        acc[3] += max(len(seq) - 1, 0)
    return stability_from_counts((task_id, context, *acc) for (task_id, context), acc in merged.items())


def stability_from_counts(rows: Iterable[tuple]) -> list[TaskStability]:
    """``rows``: (task_id, context, attempts, passes, flips, successive pairs), as
    ``store.history.task_flip_counts`` counts them. Most unstable first."""
    out = []
    for task_id, context, n, passes, flips, pairs in rows:
        rate = flips / pairs if pairs else 0.0
        out.append(TaskStability(task_id, context, n, passes / n if n else 0.0, flips, rate,
                                 n >= MIN_ATTEMPTS and rate >= FLAKY_FLIP_RATE))
    return sorted(out, key=lambda s: (-s.flip_rate, -s.attempts, s.context, s.task_id))


def flaky_share(diffs: Mapping[str, float], flaky_tasks: set[str]) -> dict[str, Any]:
    """How much of a mean difference the flaky tasks carry: their summed difference over
    the total (tasks keyed as in ``diffs``)."""
    total = sum(diffs.values())
    on_flaky = sum(v for k, v in diffs.items() if k in flaky_tasks)
    n = len(diffs)
    return {
        "flaky_tasks": sum(1 for k in diffs if k in flaky_tasks),
        "difference_from_flaky": on_flaky / n if n else 0.0,
        "difference_total": total / n if n else 0.0,
    }
