"""Issue 10's app items: the designer's keys and questions, quitting during a run, a failed
launch, directed messages instead of mailboxes, and the screen registry."""

from __future__ import annotations

import asyncio
import shutil
import time
from pathlib import Path

from tests.tui.tui_helpers import settle, static_text

SIZE = (80, 24)
AGENTS = Path(__file__).resolve().parents[2] / "sample_configs" / "agents"


def _workdir(tmp_path: Path) -> Path:
    work = tmp_path / "work"
    (work / "sample_configs" / "agents").mkdir(parents=True)
    for name in ("baseline.yaml", "terse.yaml", "large.yaml"):
        shutil.copy(AGENTS / name, work / "sample_configs" / "agents" / name)
    return work


async def test_typing_a_name_with_q_on_arrival_fills_the_form_and_does_not_quit(app_factory, tmp_path):
    app = app_factory(workdir=_workdir(tmp_path), start_mode="designer")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        field = app.screen.query_one("#f-name")
        field.value = ""
        await pilot.press(*"my quick test")
        await pilot.pause()
        assert app.is_running and app.current_mode == "designer"
        assert field.value == "my quick test"


async def test_reset_asks_first_and_no_keeps_the_form(app_factory, tmp_path):
    app = app_factory(workdir=_workdir(tmp_path), start_mode="designer")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        field = app.screen.query_one("#f-name")
        field.value = "kept-name"
        designer = app.screen
        await pilot.press("ctrl+n")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.press("n")
        await pilot.pause()
        assert field.value == "kept-name"
        await pilot.press("ctrl+n", "y")
        await pilot.pause()
        assert app.screen is designer and field.value == "my-experiment"


async def test_saving_over_a_file_the_form_did_not_write_asks_first(app_factory, tmp_path):
    work = _workdir(tmp_path)
    target = work / "experiments" / "my-experiment.yaml"
    target.parent.mkdir()
    target.write_text("someone else's file\n")
    app = app_factory(workdir=work, start_mode="designer")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause(0.3)
        await settle(pilot)
        await pilot.press("ctrl+s")
        await pilot.pause()
        assert type(app.screen).__name__ == "ConfirmScreen"
        await pilot.press("n")
        await pilot.pause()
        assert target.read_text() == "someone else's file\n"
        await pilot.press("ctrl+s", "y")
        await pilot.pause()
        assert target.read_text().startswith("name: my-experiment")
        await pilot.press("ctrl+s")  # now it is the form's own file: no question
        await pilot.pause()
        assert type(app.screen).__name__ == "DesignerScreen"


async def test_an_unknown_suite_is_invalid_before_launch(app_factory, tmp_path):
    app = app_factory(workdir=_workdir(tmp_path), start_mode="designer")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.screen.query_one("#f-suite").value = "no-such-suite"
        await pilot.pause(0.3)
        text = static_text(app.screen.query_one("#validation"))
        assert text.startswith("✗ suite: unknown suite 'no-such-suite'"), text
        await pilot.press("ctrl+l")
        await pilot.pause()
        assert app.current_mode == "designer"


async def test_q_during_a_run_asks_then_cancels_keeping_finished_trials(app_factory, tmp_path):
    work = _workdir(tmp_path)
    exp = work / "slow.yaml"
    exp.write_text(
        "name: quit-me\nsuite: tamma-match\ntrials: 4\nseed: 3\nconcurrency: 2\n"
        "baseline: sample_configs/agents/baseline.yaml\n"
        "variants:\n  - {name: large, config: sample_configs/agents/large.yaml}\n"
    )
    from tamma_tui.services.experiments import run_experiment

    run_ids = []

    def slowed(path, *, on_event, **kwargs):
        def slow(event):
            time.sleep(0.01)
            on_event(event)

        outcome = run_experiment(path, on_event=slow, **kwargs)
        run_ids.append(outcome.run_id)
        return outcome

    app = app_factory(workdir=work, services={"run_experiment": slowed})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.launch(str(exp))
        screen = app.mode_screen()
        for _ in range(200):
            await pilot.pause(0.05)
            if screen.query_one("#trials").row_count > 0:
                break
        await pilot.press("q")
        await pilot.pause()
        assert app.is_running and type(app.screen).__name__ == "ConfirmScreen"
        await pilot.press("n")
        await pilot.pause()
        assert app.is_running and screen.live
        await pilot.press("q", "y")
        for _ in range(200):
            await pilot.pause(0.05)
            if not app.is_running:
                break
        assert not app.is_running
    from tamma_tui.services import browse

    summary = browse.run_detail(app.services.db_engine, run_ids[0]).summary
    assert summary.status == "cancelled" and 0 < summary.done < 288


async def test_a_failed_launch_says_so_instead_of_starting(app_factory, tmp_path):
    work = _workdir(tmp_path)
    bad = work / "bad.yaml"
    bad.write_text("name: x\nsuite: tamma-match\nbaseline: missing.yaml\n")
    app = app_factory(workdir=work)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.launch(str(bad))
        screen = app.mode_screen()
        for _ in range(100):
            await pilot.pause(0.1)
            if not screen.live:
                break
        await settle(pilot)
        head = static_text(screen.query_one("#run-head"))
        assert head.startswith("Launch failed:") and "missing.yaml" in head, head
        assert "Starting" not in head


def test_the_app_has_no_mailbox_attributes_and_registers_screens_in_one_place():
    from tamma_tui.tui.app import SCREENS, TammaApp

    source = (Path(__file__).resolve().parents[2] / "tamma_tui" / "tui").rglob("*.py")
    text = "".join(p.read_text() for p in source)
    for old in ("pending_launch", "experiment_to_load", "hasattr(screen"):
        assert old not in text
    assert set(TammaApp.MODES) == {mode for _k, mode, _l, _f in SCREENS}
    go = {b.id for b in TammaApp.BINDINGS if b.id and b.id.startswith("go.")}
    assert go == {f"go.{mode}" for _k, mode, _l, _f in SCREENS}


def test_trial_rows_are_named_in_the_order_of_the_query():
    from tamma_tui.engine.events import TrialFinished
    from tamma_tui.services.browse import TRIAL_COLUMNS
    from tamma_tui.tui.rows import TrialRow

    assert TrialRow._fields == TRIAL_COLUMNS
    ev = TrialFinished(1, "large", "t-9", "testing", 2, "error", None, None, None, 0.0,
                       error_kind="timeout")
    row = TrialRow.from_event(ev)
    assert (row.error_kind, row.key) == ("timeout", ("large", "t-9", 2))


def test_the_designer_counts_tasks_with_the_engines_selection(tmp_path):
    from tamma_tui.config import ExperimentSpec
    from tamma_tui.config.loader import LoadedExperiment
    from tamma_tui.engine.plan import select_tasks
    from tamma_tui.services.planning import count_tasks
    from tamma_tui.suites.registry import load_suite

    spec = ExperimentSpec.model_validate({
        "name": "n", "suite": "tamma-match", "baseline": "b.yaml", "max_tasks": 2,
        "contexts": ["development", "testing"]})
    expected = len(select_tasks(LoadedExperiment(spec=spec, path=tmp_path / "e.yaml"),
                                load_suite("tamma-match")))
    assert count_tasks(spec, tmp_path) == expected == 4


async def test_compare_opened_during_a_run_is_labelled_interim_and_reloads_when_it_ends(
        app_factory, tmp_path):
    work = _workdir(tmp_path)
    exp = work / "live.yaml"
    exp.write_text(
        "name: live-compare\nsuite: tamma-match\ntrials: 2\nseed: 3\nconcurrency: 2\nmax_tasks: 4\n"
        "baseline: sample_configs/agents/baseline.yaml\n"
        "variants:\n  - {name: large, config: sample_configs/agents/large.yaml}\n"
    )
    from tamma_tui.services.experiments import run_experiment

    def slowed(path, *, on_event, **kwargs):
        def slow(event):
            time.sleep(0.02)
            on_event(event)

        return run_experiment(path, on_event=slow, **kwargs)

    app = app_factory(workdir=work, services={"run_experiment": slowed})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        app.launch(str(exp))
        run_screen = app.mode_screen()
        for _ in range(200):
            await pilot.pause(0.05)
            if run_screen.query_one("#trials").row_count >= 6:
                break
        await pilot.press("5")
        for _ in range(100):
            await pilot.pause(0.05)
            if app.screen.query("#interim"):
                break
        compare = app.screen
        banner = static_text(compare.query_one("#interim"))
        assert banner.startswith("INTERIM: run ") and "still running" in banner
        interim_done = compare.detail.summary.done
        for _ in range(300):  # the run ends; the open Compare screen notices by itself
            await pilot.pause(0.05)
            if not run_screen.live and not compare.query("#interim"):
                break
        await settle(pilot)
        assert not compare.query("#interim")
        assert compare.detail.summary.status == "completed"
        assert compare.detail.summary.done == 48 > interim_done


async def test_table_keys_work_in_every_table_and_f1_lists_them(app_factory):
    from textual.widgets import DataTable

    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = next(t for t in app.screen.query(DataTable) if t.row_count >= 3)
        table.focus()
        table.move_cursor(row=0)
        await pilot.press("j", "j")
        assert table.cursor_row == 2
        await pilot.press("k")
        assert table.cursor_row == 1
        await pilot.press("G")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("g")
        assert table.cursor_row == 0
        await pilot.press("end")
        assert table.cursor_row == table.row_count - 1
        await pilot.press("home")
        assert table.cursor_row == 0
        await pilot.press("f1")
        await pilot.pause()
        help_table = app.screen.query_one("#help-table")
        listed = " | ".join(f"{help_table.get_row_at(i)[0]} {help_table.get_row_at(i)[1]}"
                            for i in range(help_table.row_count))
        for expected in ("Enter", "Tab", "n New experiment", "j Down", "k Up", "home, g",
                         "end, G", "h Scroll left", "l Scroll right"):
            assert expected in listed, (expected, listed)


async def test_enter_on_a_trial_opens_that_repeat(tmp_path):
    from tamma_tui.services.experiments import run_experiment
    from tamma_tui.store.db import open_database
    from tamma_tui.tui.app import AppServices, TammaApp

    work = _workdir(tmp_path)
    exp = work / "rep.yaml"
    exp.write_text(
        "name: repeats\nsuite: tamma-match\ntrials: 3\nseed: 3\nmax_tasks: 1\n"
        "baseline: sample_configs/agents/baseline.yaml\n"
        "variants:\n  - {name: large, config: sample_configs/agents/large.yaml}\n"
    )
    db = open_database(tmp_path / "rep.db")
    run_id = (await asyncio.to_thread(run_experiment, str(exp), db=db)).run_id
    app = TammaApp(services=AppServices(db_engine=db, workdir=work), start_mode="run", run_id=run_id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#trials")
        index = next(i for i in range(table.row_count) if table.key_at(i)[2] == 2)
        _arm, task, repeat = table.key_at(index)
        table.focus()
        table.move_to(index)
        await pilot.press("enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "AnswersScreen"
        head = static_text(app.screen.query_one("#answers-head"))
        assert head.startswith(f"Task {task}, repeat {repeat}"), head


def test_the_configs_diff_compares_with_the_previous_version_not_the_previous_row():
    from types import SimpleNamespace as V

    from tamma_tui.tui.screens.configs import previous_version

    # Stored in this order: 1.0, 1.10, then 1.9 (an older file stored late), then 1.10 edited.
    v10, v110, v19, v110b = V(version="1.0"), V(version="1.10"), V(version="1.9"), V(version="1.10")
    stored = [v10, v110, v19, v110b]
    assert previous_version(stored, v110) is v19
    assert previous_version(stored, v110b) is v19
    assert previous_version(stored, v19) is v10
    assert previous_version(stored, v10) is None
    assert previous_version([V(version="2"), (b := V(version="2"))], b).version == "2"
