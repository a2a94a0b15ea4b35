"""One snapshot per screen at 80x24 (and the significance screen in the ANSI theme).

Regenerate after an intended visual change with:
    .venv/bin/python -m pytest tests/tui/test_snapshots.py --snapshot-update
"""

from __future__ import annotations

import pytest

from tests.tui.tui_helpers import settle

SIZE = (80, 24)
FIXED_POWER = "with 72 tasks x 3 trials you can detect a 9-point change in pass rate at 80% power"


async def _settled(pilot) -> None:
    # A focused field's blinking cursor would make the picture depend on the moment taken.
    from textual.widgets import Input

    for field in pilot.app.screen.query(Input):
        field.cursor_blink = False
    # Workers, then the widgets' idle-time layout (DataTable sizes columns when idle).
    for _ in range(3):
        await settle(pilot)
        await pilot.pause(0.1)


@pytest.mark.parametrize(
    ("mode", "run_id", "keys"),
    [
        ("home", None, []),
        ("configs", None, []),
        ("run", 1, []),
        ("compare", 1, []),
        ("significance", 1, []),
        ("trends", None, []),
    ],
)
def test_screen_snapshot(snap_compare, app_factory, mode, run_id, keys):
    app = app_factory(start_mode=mode, run_id=run_id)
    assert snap_compare(app, press=keys, terminal_size=SIZE, run_before=_settled)


AGENT = "agentId: {id}\nprovider: simulated\nmodel: sim-medium\n"


def test_designer_snapshot(snap_compare, app_factory, tmp_path):
    # The form's default files, written here so the snapshot does not follow sample edits.
    agents = tmp_path / "sample_configs" / "agents"
    agents.mkdir(parents=True)
    (agents / "baseline.yaml").write_text(AGENT.format(id="tamma-dev"))
    (agents / "terse.yaml").write_text(AGENT.format(id="tamma-terse"))
    app = app_factory(start_mode="designer", workdir=tmp_path,
                      services={"power_line": lambda **_: FIXED_POWER})
    assert snap_compare(app, terminal_size=SIZE, run_before=_settled)


def test_significance_snapshot_in_ansi_theme(snap_compare, app_factory):
    app = app_factory(start_mode="significance", run_id=1, theme="ansi")
    assert snap_compare(app, terminal_size=SIZE, run_before=_settled)


def test_help_snapshot(snap_compare, app_factory):
    app = app_factory()
    assert snap_compare(app, press=["f1"], terminal_size=SIZE, run_before=_settled)
