"""Running totals of a run, fed one ``TrialRecord`` at a time, and the progress event."""

from __future__ import annotations

from tamma_tui.vocabulary import TrialStatus

from .events import RunProgress
from .trial import TrialRecord

_OK = TrialStatus.OK.value


class ProgressTally:
    """Counts, errors by kind, per arm and context, and the cost so far."""

    __slots__ = ("by_arm", "cost", "errors", "errors_by_kind", "ran", "version")

    def __init__(self, prior_cost_usd: float = 0.0):
        self.ran = 0            # trials finished in this attempt
        self.errors = 0
        self.errors_by_kind: dict[str, int] = {}
        self.by_arm: dict[str, dict[str, dict[str, int]]] = {}
        self.cost = prior_cost_usd
        self.version = 0        # bumped per trial: the ticker emits only when it moved

    def add(self, record: TrialRecord) -> None:
        self.ran += 1
        self.cost += record.cost_usd
        arm_stats = self.by_arm.setdefault(record.arm, {})
        ctx = arm_stats.get(record.context)
        if ctx is None:
            ctx = arm_stats[record.context] = {"n": 0, "passed": 0, "errors": 0}
        ctx["n"] += 1
        if record.status == _OK:
            ctx["passed"] += 1 if record.passed else 0
        else:
            self.errors += 1
            ctx["errors"] += 1
            kind = record.error_kind or record.status
            self.errors_by_kind[kind] = self.errors_by_kind.get(kind, 0) + 1
        self.version += 1

    def event(self, run_id: int, already_done: int, total: int, elapsed_s: float) -> RunProgress:
        return RunProgress(
            run_id=run_id,
            done=already_done + self.ran,
            total=total,
            errors=self.errors,
            cost_usd=self.cost,
            elapsed_s=elapsed_s,
            trials_per_s=self.ran / elapsed_s if elapsed_s > 0 else 0.0,
            errors_by_kind=dict(self.errors_by_kind),
            by_arm={a: {c: dict(v) for c, v in ctx.items()} for a, ctx in self.by_arm.items()},
        )
