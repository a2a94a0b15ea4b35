"""Expand an experiment and its suite into the trials to run, in a seeded order.

Every arm gets the same tasks, the same repeats and the same per-trial sampling seed, so
arms are paired on identical work. Resume is plan minus the keys already stored.
"""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass, field
from typing import Iterable, NamedTuple, Sequence

from tamma_tui.config.errors import BadInput
from tamma_tui.config.loader import LoadedExperiment, config_sha256
from tamma_tui.config.models import CONTEXTS, AgentConfig
from tamma_tui.suites.model import Suite, Task

AA_ARM = "baseline-aa"
ISOLATED_SUFFIX = "@isolated"


class TrialKey(NamedTuple):
    arm: str
    task_id: str
    repeat: int


@dataclass(frozen=True)
class PlannedArm:
    name: str
    config: AgentConfig
    baseline: bool
    source: str
    sha256: str


@dataclass(frozen=True)
class SessionPlan:
    """One multi-turn conversation of a mixed-context run: turns run in this order."""

    arm: str
    repeat: int
    turns: tuple[TrialKey, ...]


@dataclass
class Plan:
    name: str
    arms: list[PlannedArm]
    tasks: list[Task]               # selected, in seeded order (sequential blocks follow it)
    repeats: int
    seed: int
    session: str = "isolated"       # isolated | mixed
    trials: list[TrialKey] = field(default_factory=list)     # isolated trials, seeded order
    sessions: list[SessionPlan] = field(default_factory=list)  # mixed mode only

    @property
    def total(self) -> int:
        return len(self.trials) + sum(len(s.turns) for s in self.sessions)

    @property
    def contexts(self) -> tuple[str, ...]:
        return tuple(c for c in CONTEXTS if any(t.context == c for t in self.tasks))

    def all_keys(self) -> list[TrialKey]:
        return list(self.trials) + [k for s in self.sessions for k in s.turns]

    def task_blocks(self, block_tasks: int) -> list[list[Task]]:
        return [self.tasks[i : i + block_tasks] for i in range(0, len(self.tasks), block_tasks)]

    def arm(self, name: str) -> PlannedArm:
        for a in self.arms:
            if a.name == name:
                return a
        raise KeyError(name)


def trial_seed(experiment_seed: int, task_id: str, repeat: int) -> int:
    """The sampling seed of a (task, repeat): the same for every arm (pairing)."""
    digest = hashlib.sha256(f"{experiment_seed}\x1f{task_id}\x1f{repeat}".encode()).digest()
    return int.from_bytes(digest[:4], "big")


def select_tasks(
    loaded: LoadedExperiment, suite: Suite, *, max_tasks: int | None = None
) -> list[Task]:
    """Filter by contexts and task ids, cap per context, then order with the seed."""
    spec = loaded.spec
    wanted = set(spec.contexts)
    tasks = [t for t in suite.tasks if t.context in wanted]
    if spec.tasks is not None:
        known = {t.id for t in tasks}
        missing = [t for t in spec.tasks if t not in known]
        if missing:
            raise BadInput(
                f"unknown task id {missing[0]!r} in suite {suite.id!r} (contexts {', '.join(spec.contexts)})",
                file=loaded.path,
                field="tasks",
            )
        chosen = set(spec.tasks)
        tasks = [t for t in tasks if t.id in chosen]
    tasks.sort(key=lambda t: t.id)
    random.Random(spec.seed).shuffle(tasks)
    cap = max_tasks if max_tasks is not None else spec.max_tasks
    if cap is not None:
        per_context: dict[str, int] = {}
        kept = []
        for t in tasks:
            if per_context.get(t.context, 0) < cap:
                per_context[t.context] = per_context.get(t.context, 0) + 1
                kept.append(t)
        tasks = kept
    if spec.sequential.max_tasks is not None:
        tasks = tasks[: spec.sequential.max_tasks]
    if not tasks:
        raise BadInput(
            f"suite {suite.id!r} has no tasks in contexts {', '.join(spec.contexts)}",
            file=loaded.path,
            field="contexts",
        )
    return tasks


def planned_arms(loaded: LoadedExperiment, *, aa: bool = False) -> list[PlannedArm]:
    if aa:
        base = loaded.baseline
        sha = config_sha256(base.config)
        return [
            PlannedArm(base.name, base.config, True, base.source, sha),
            PlannedArm(AA_ARM, base.config, False, base.source, sha),
        ]
    return [PlannedArm(a.name, a.config, a.baseline, a.source, config_sha256(a.config)) for a in loaded.arms]


def interleave_contexts(tasks: Sequence[Task]) -> list[Task]:
    """development, code_review, testing, development, ... (each context in its own order)."""
    queues = {c: [t for t in tasks if t.context == c] for c in CONTEXTS}
    out: list[Task] = []
    while any(queues.values()):
        for c in CONTEXTS:
            if queues[c]:
                out.append(queues[c].pop(0))
    return out


def build_plan(
    loaded: LoadedExperiment,
    suite: Suite,
    *,
    aa: bool = False,
    max_tasks: int | None = None,
) -> Plan:
    spec = loaded.spec
    tasks = select_tasks(loaded, suite, max_tasks=max_tasks)
    arms = planned_arms(loaded, aa=aa)
    plan = Plan(
        name=spec.name + (" (A/A)" if aa else ""),
        arms=arms,
        tasks=tasks,
        repeats=spec.trials,
        seed=spec.seed,
        session=spec.session,
    )
    if spec.session == "mixed":
        # Each arm also runs the same tasks in isolation, so the report can compare.
        plan.arms = arms + [
            PlannedArm(a.name + ISOLATED_SUFFIX, a.config, False, a.source, a.sha256) for a in arms
        ]
        for repeat in range(spec.trials):
            order = list(tasks)
            random.Random(f"{spec.seed}:{repeat}").shuffle(order)
            order = interleave_contexts(order)
            for a in arms:
                turns = tuple(TrialKey(a.name, t.id, repeat) for t in order)
                plan.sessions.append(SessionPlan(a.name, repeat, turns))
        isolated_arms = [a.name + ISOLATED_SUFFIX for a in arms]
    else:
        isolated_arms = [a.name for a in arms]
    plan.trials = order_keys(tasks, isolated_arms, spec.trials, spec.seed)
    return plan


def order_keys(tasks: Iterable[Task], arm_names: Sequence[str], repeats: int, seed: int) -> list[TrialKey]:
    keys = [TrialKey(a, t.id, r) for t in tasks for r in range(repeats) for a in arm_names]
    random.Random(seed).shuffle(keys)
    return keys
