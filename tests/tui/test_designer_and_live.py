"""The designer form, validated as you type, and a real run on the simulated agent."""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import yaml

from tamma_tui.config.loader import load_experiment
from tests.tui.tui_helpers import settle, static_text

SIZE = (80, 24)
AGENTS = Path(__file__).resolve().parents[2] / "sample_configs" / "agents"


def _workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    (work / "agents").mkdir(parents=True)
    for name in ("baseline.yaml", "large.yaml"):
        shutil.copy(AGENTS / name, work / "agents" / name)
    return work


async def fill(pilot, selector: str, text: str) -> None:
    """Clear a field by keys and type short values; long paths are inserted at the cursor
    (one Pilot key press costs tens of milliseconds, and these tests must stay quick)."""
    widget = pilot.app.screen.query_one(selector)
    widget.focus()
    await pilot.press("home", "ctrl+k")
    if len(text) <= 8:
        await pilot.press(*text)
    else:
        widget.insert_text_at_cursor(text)
        await pilot.pause()


async def fill_area(pilot, selector: str, text: str) -> None:
    area = pilot.app.screen.query_one(selector)
    area.focus()
    area.select_all()
    await pilot.press("delete")
    area.insert(text)
    await pilot.pause()


async def test_designer_validates_as_the_user_types(app_factory, tmp_path):
    work = _workdir(tmp_path)
    app = app_factory(workdir=work, start_mode="designer")
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, "#f-baseline", "agents/baseline.yaml")
        await fill_area(pilot, "#f-variants", "[{name: large, config: agents/large.yaml}]")
        await fill(pilot, "#f-trials", "0")
        await pilot.pause(0.3)
        text = static_text(app.screen.query_one("#validation"))
        assert text.startswith("✗ trials:") and "greater than or equal to 1" in text
        await fill(pilot, "#f-trials", "2")
        await fill(pilot, "#f-baseline", "agents/missing.yaml")
        await pilot.pause(0.3)
        assert "✗ baseline: file not found" in static_text(app.screen.query_one("#validation"))
        await fill(pilot, "#f-baseline", "agents/baseline.yaml")
        await fill(pilot, "#f-guardrails", "speed:0.1")
        await pilot.pause(0.3)
        assert "unknown metric 'speed'" in static_text(app.screen.query_one("#validation"))
        await fill(pilot, "#f-guardrails", "pass_rate:0.05")
        await fill(pilot, "#f-suite", "tamma-match")
        await fill(pilot, "#f-max_tasks", "4")
        await pilot.pause(0.3)
        await settle(pilot)
        assert static_text(app.screen.query_one("#validation")).startswith("✓ valid: 2 arms")
        power = static_text(app.screen.query_one("#power"))
        assert power.startswith("with 12 tasks x 2 trials you can detect")
        await fill(pilot, "#f-save_path", "exp/designed.yaml")
        await pilot.press("ctrl+s")
        saved = work / "exp" / "designed.yaml"
        data = yaml.safe_load(saved.read_text())
        assert data["baseline"] == "../agents/baseline.yaml"  # relative to the saved file
        loaded = load_experiment(saved)  # the loader accepts what the designer wrote
        assert [a.name for a in loaded.arms] == ["baseline", "large"]
        assert loaded.spec.analysis.guardrails[0].margin == 0.05


async def test_design_launch_watch_and_read_the_decision(app_factory, tmp_path):
    work = _workdir(tmp_path)
    app = app_factory(workdir=work, start_mode="designer")
    async with app.run_test(size=SIZE) as pilot:
        await fill(pilot, "#f-name", "designed-run")
        await fill(pilot, "#f-baseline", "agents/baseline.yaml")
        await fill_area(pilot, "#f-variants", "[{name: large, config: agents/large.yaml}]")
        await fill(pilot, "#f-suite", "tamma-match")
        await fill(pilot, "#f-max_tasks", "6")
        await fill(pilot, "#f-trials", "1")
        await fill(pilot, "#f-budget", "")
        await fill(pilot, "#f-save_path", "designed.yaml")
        await pilot.pause(0.3)
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.current_mode == "run"
        screen = app.screen
        for _ in range(300):  # the run takes about a second on the simulated agent
            await pilot.pause(0.1)
            if not screen._live and screen.query_one("#trials").row_count == 36:
                break
        await settle(pilot)
        assert screen.query_one("#trials").row_count == 36
        head = static_text(screen.query_one("#run-head"))
        assert "designed-run · completed · 36/36 trials" in head
        arms = screen.query_one("#arms")
        assert arms.row_count == 6  # 2 arms x 3 contexts
        await pilot.press("6")
        await settle(pilot)
        decision = static_text(app.screen.query_one("#decision-text"))
        assert decision.startswith("Decision:")
        assert "large" in decision


async def test_cancel_with_confirmation_then_resume(app_factory, tmp_path):
    work = _workdir(tmp_path)
    exp = work / "slow.yaml"
    exp.write_text(
        "name: cancel-me\nsuite: tamma-match\ntrials: 4\nseed: 3\nconcurrency: 2\n"
        "baseline: agents/baseline.yaml\nvariants:\n  - {name: large, config: agents/large.yaml}\n"
    )
    from tamma_tui.services.experiments import run_experiment

    def slowed_first_attempt(path, *, on_event, resume=None, **kwargs):
        # The engine calls on_event in its own thread: pausing there slows the run down
        # enough for the user (this test) to change their mind before it finishes.
        def slow(event):
            time.sleep(0.01)
            on_event(event)

        return run_experiment(path, on_event=slow if resume is None else on_event, resume=resume, **kwargs)

    app = app_factory(workdir=work, services={"run_experiment": slowed_first_attempt})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.launch(str(exp))
        await pilot.pause()
        screen = app.screen
        for _ in range(200):
            await pilot.pause(0.05)
            if screen.query_one("#trials").row_count > 0:
                break
        await pilot.press("x")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.press("n")  # changed our mind: the run goes on
        assert screen._live and not screen._cancel.is_set()
        await pilot.press("x", "y")
        for _ in range(200):
            await pilot.pause(0.05)
            if not screen._live:
                break
        await settle(pilot)
        head = static_text(screen.query_one("#run-head"))
        assert "cancel-me · cancelled" in head, head
        kept = screen.query_one("#trials").row_count
        assert 0 < kept < 288
        await pilot.press("R")  # resume runs exactly the missing trials
        await pilot.pause()
        for _ in range(600):
            await pilot.pause(0.05)
            if not screen._live:
                break
        await settle(pilot)
        head = static_text(screen.query_one("#run-head"))
        assert "cancel-me · completed · 288/288 trials" in head, head
        assert screen.query_one("#trials").row_count == 288  # kept ones, then the new ones


def test_a_saved_form_reads_back_with_the_same_paths(tmp_path):
    from tamma_tui.tui.screens.designer import DEFAULTS, form_to_spec, spec_to_form

    work = tmp_path / "work"
    values = {**DEFAULTS, "baseline": "agents/baseline.yaml", "suite": "suites/mine.jsonl",
              "variants": "- name: large\n  config: agents/large.yaml\n", "primary": "pass_rate",
              "mode": "sequential", "save_path": "experiments/deep/e.yaml"}
    saved = work / values["save_path"]
    data = form_to_spec(values, work, saved.parent)
    # Paths in the file are relative to the file; built-in suite ids are left alone.
    assert data["baseline"] == "../../agents/baseline.yaml"
    assert data["suite"] == "../../suites/mine.jsonl"
    assert data["variants"][0]["config"] == "../../agents/large.yaml"
    assert form_to_spec({**values, "suite": "tamma-core"}, work, saved.parent)["suite"] == "tamma-core"
    back = spec_to_form(yaml.safe_dump(data), str(saved), work)
    assert back["baseline"] == "agents/baseline.yaml"
    assert back["suite"] == "suites/mine.jsonl"
    assert yaml.safe_load(back["variants"]) == [{"name": "large", "config": "agents/large.yaml"}]
    assert (back["mode"], back["save_path"]) == ("sequential", "experiments/deep/e.yaml")
