"""Drift or configuration: who moved?

A change seen in the current configuration's series and, within ``TOLERANCE`` runs, in
the same direction in the pinned (frozen) configuration's series is provider/environment
drift: the frozen config cannot have changed. A change only the current config shows is a
configuration regression (or improvement); when the config hash changed at that run, the
new version is named. Without a pinned series the cause is "unknown" unless the config
changed there.
"""

from __future__ import annotations

from typing import Sequence

from .changes import ChangePointView
from .series import Series

TOLERANCE = 1


def attribute(current: Series, changes: Sequence[ChangePointView], pinned: Series | None,
              pinned_changes: Sequence[ChangePointView]) -> list[dict]:
    """One row per change point of the current series: cause and evidence."""
    pinned_pos = {p.run_id: i for i, p in enumerate(pinned.points)} if pinned else {}
    rows = []
    for cp in changes:
        before = current.points[cp.index - 1] if cp.index > 0 else None
        after = current.points[cp.index]
        # A split is located to within a run or so: a version change that close is its cause.
        pts = current.points
        for i in range(max(cp.index - TOLERANCE, 1), min(cp.index + TOLERANCE, len(pts) - 1) + 1):
            if pts[i - 1].config_sha256 != pts[i].config_sha256:
                before, after = pts[i - 1], pts[i]
                break
        config_changed = before is not None and before.config_sha256 != after.config_sha256
        where = pinned_pos.get(after.run_id)
        matched = None
        if where is not None:
            matched = next((p for p in pinned_changes if abs(p.index - where) <= TOLERANCE
                            and (p.magnitude > 0) == (cp.magnitude > 0) and p.verdict != "inconclusive"), None)
        if matched is not None:
            cause = "drift"
        elif pinned is not None and where is not None:
            cause = "config"
        elif config_changed:
            cause = "config"
        else:
            cause = "unknown"
        rows.append({
            "run_id": cp.run_id, "cause": cause, "config_changed": config_changed,
            "version_before": before.version if before else None, "version_after": after.version,
            "pinned_magnitude": matched.magnitude if matched else None,
        })
    return rows
