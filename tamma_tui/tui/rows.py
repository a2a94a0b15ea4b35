"""The app's row types: named fields instead of positions, so `row.error_kind` reads as
what it is and a column added to the query cannot shift the meaning of `r[9]`."""

from __future__ import annotations

from typing import Any, NamedTuple

from tamma_tui.services.browse import TRIAL_COLUMNS


class TrialRow(NamedTuple):
    """One trial as the run screen lists it (fields in browse.TRIAL_COLUMNS order).

    A NamedTuple stays a tuple: the virtual table stores thousands of these and a plain
    class would cost a dict each."""

    arm: str
    task_id: str
    context: str
    repeat: int
    status: str
    passed: bool | None
    score: float | None
    latency_s: float | None
    cost_usd: float | None
    error_kind: str | None

    @property
    def key(self) -> tuple[str, str, int]:
        """The trial table's row key."""
        return (self.arm, self.task_id, self.repeat)

    @classmethod
    def from_event(cls, ev: Any) -> "TrialRow":
        """From an engine TrialFinished event (live runs)."""
        return cls(*(getattr(ev, name) for name in cls._fields))


assert TrialRow._fields == TRIAL_COLUMNS, "TrialRow must follow browse.TRIAL_COLUMNS"


def trial_rows(raw_rows: list[tuple]) -> list[TrialRow]:
    """Stored rows (browse.trial_table) as TrialRows."""
    make = TrialRow._make
    return [make(r) for r in raw_rows]
