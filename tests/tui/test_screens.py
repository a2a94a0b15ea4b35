"""Pilot tests: each screen driven by keys on a temp database."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.tui.tui_helpers import run_palette_command, settle, static_text, table_column

SIZE = (80, 24)


async def test_home_lists_runs_with_status_and_decision(app_factory):
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        runs = app.screen.query_one("#runs", DataTable)
        assert table_column(runs, "id") == ["3", "2", "1"]
        assert table_column(runs, "status") == ["cancelled", "completed", "completed"]
        decisions = dict(zip(table_column(runs, "id"), table_column(runs, "decision")))
        assert decisions["1"] == "winner: terse"
        configs = app.screen.query_one("#configs", DataTable)
        assert table_column(configs, "agent") == ["tamma-dev", "tamma-terse"]
        assert table_column(configs, "versions") == ["2", "1"]


async def test_home_enter_opens_the_highlighted_run(app_factory):
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("down", "enter")  # run 2
        await settle(pilot)
        assert app.current_mode == "run"
        assert app.run_id == 2
        trials = app.screen.query_one("#trials")
        assert trials.row_count == 72
        assert "Run 2 terse-vs-baseline-2 · completed" in static_text(app.screen.query_one("#run-head"))
        # The error row carries its kind, and the errors line counts it.
        assert any(trials.row(i)[9] == "timeout" for i in range(trials.row_count))
        assert "timeout 1" in static_text(app.screen.query_one("#run-errors"))


async def test_run_table_moves_by_keys_and_opens_answers(app_factory):
    app = app_factory(start_mode="run", run_id=1)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        trials = app.screen.query_one("#trials")
        trials.focus()
        await pilot.press("down", "down", "end")
        assert trials.cursor_row == 71
        await pilot.press("home", "pagedown")
        assert 0 < trials.cursor_row < 71
        await pilot.press("home", "enter")
        await settle(pilot)
        assert type(app.screen).__name__ == "AnswersScreen"
        left = static_text(app.screen.query_one("#answer-left-text"))
        assert "baseline answer to dev-000" in left
        await pilot.press("escape")
        assert app.current_mode == "run"


async def test_configs_show_history_yaml_and_diff(app_factory):
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("2")
        await settle(pilot)
        screen = app.screen
        versions = screen.query_one("#versions", DataTable)
        assert table_column(versions, "version") == ["1", "2"]
        assert "systemPrompt: Be careful and brief." in static_text(screen.query_one("#config-text"))
        versions.focus()
        await pilot.press("d")  # newest against the one before it
        diff = static_text(screen.query_one("#config-text"))
        assert "-systemPrompt: Be careful." in diff
        assert "+systemPrompt: Be careful and brief." in diff
        # Mark v2, move to v1, diff: still old -> new.
        await pilot.press("m", "up", "d")
        assert "+version: 2" in static_text(screen.query_one("#config-text"))


async def test_trends_show_sparklines_and_a_chart(app_factory):
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("7")
        await settle(pilot)
        metrics = app.screen.query_one("#trend-metrics", DataTable)
        assert "pass_rate" in table_column(metrics, "metric")
        sparks = dict(zip(table_column(metrics, "metric"), table_column(metrics, "spark")))
        assert len(sparks["pass_rate"]) == 3  # three runs used tamma-dev
        chart = static_text(app.screen.query_one("#trend-chart"))
        assert "pass_rate by run" in chart and "#3" in chart
        metrics.focus()
        await pilot.press("down")
        await pilot.pause()
        assert "score by run" in static_text(app.screen.query_one("#trend-chart"))


async def test_compare_matrix_and_discordant_answers(app_factory):
    app = app_factory(start_mode="compare", run_id=1)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        matrix = app.screen.query_one("#matrix", DataTable)
        assert "pass_rate:terse" in [k.value for k in matrix.rows]
        assert str(matrix.get_cell("pass_rate:terse", "all")) == "83.3%"
        # intention to treat (report v2): the timed-out trial counts as a failure
        assert str(matrix.get_cell("pass_rate:Δterse", "all")) == "+33.3 pts*"  # significant
        discordant = app.screen.query_one("#discordant", DataTable)
        assert discordant.row_count > 0
        discordant.focus()
        await pilot.press("enter")
        await settle(pilot)
        left = static_text(app.screen.query_one("#answer-left-text"))
        right = static_text(app.screen.query_one("#answer-right-text"))
        assert left.startswith("baseline: FAIL") and "tests_passed" in left
        assert right.startswith("terse: PASS") and "Grader details" in right


async def test_significance_table_plot_and_decision(app_factory):
    app = app_factory(start_mode="significance", run_id=1)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#comparisons", DataTable)
        assert table_column(table, "metric")[0] == "pass_rate"  # short names for long metrics
        assert table_column(table, "verdict")[0] == "better"
        decision = static_text(app.screen.query_one("#decision-text"))
        assert "Decision: ship terse." in decision
        assert "✓ terse on cost_usd: non-inferior" in decision
        assert "terse┤" in static_text(app.screen.query_one("#forest"))
        await pilot.press("x")  # next context
        assert "context code_review" in static_text(app.screen.query_one("#sig-head"))


async def test_help_lists_bindings_with_ids(app_factory):
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await pilot.press("f1")
        await pilot.pause()
        table = app.screen.query_one("#help-table", DataTable)
        ids = [str(table.get_row_at(i)[2]) for i in range(table.row_count)]
        assert {"go.home", "go.significance", "home.refresh", "app.help"} <= set(ids)
        await pilot.press("escape")
        assert app.current_mode == "home" and type(app.screen).__name__ == "HomeScreen"


async def test_keymap_remaps_a_binding(app_factory):
    app = app_factory(keymap={"go.configs": "c", "go.trends": "ctrl+t"})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        nav = static_text(app.screen.query_one("#navbar"))
        assert " c Configs " in nav and " ^t Trends " in nav and " 1 Home " in nav
        await pilot.press("2")  # the old key no longer navigates
        assert app.current_mode == "home"
        await pilot.press("c")
        assert app.current_mode == "configs"
        await pilot.press("ctrl+t")
        assert app.current_mode == "trends"


async def test_command_palette_jumps_to_a_run(app_factory):
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await run_palette_command(pilot, "Significance of run 1")
        await settle(pilot)
        assert app.current_mode == "significance"
        assert app.run_id == 1


async def test_command_palette_switches_theme(app_factory):
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert app.theme == "tamma-dark"
        await run_palette_command(pilot, "Theme: light")
        await pilot.pause()
        assert app.theme == "tamma-light"


async def test_worker_errors_are_notified_and_the_app_survives(app_factory):
    def broken_report(engine, run_id, **options):
        raise RuntimeError("report exploded")

    app = app_factory(start_mode="significance", run_id=1, services={"report_for_run": broken_report})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        messages = [n.message for n in app._notifications]
        assert any("report exploded" in m for m in messages)
        await pilot.press("1")
        await settle(pilot)
        assert app.current_mode == "home" and app.is_running


async def test_every_shipped_theme_renders(app_factory):
    for theme in ("dark", "light", "ansi"):
        app = app_factory(theme=theme)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            assert app.theme == f"tamma-{theme}"
            runs = app.screen.query_one("#runs", DataTable)
            assert runs.row_count == 3
            assert "terse-vs-baseline-3" in "\n".join(s.text for s in app.screen._compositor.render_strips())


async def test_command_palette_loads_an_experiment_into_the_designer(app_factory):
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        await run_palette_command(pilot, "Experiment terse")
        await settle(pilot)
        assert app.current_mode == "designer"
        assert app.screen.query_one("#f-name").value == "terse-vs-baseline"
        assert app.screen.query_one("#f-baseline").value == "b.yaml"


async def test_non_significant_differences_render_in_every_theme(app_factory):
    # Run 3 is small: its differences point somewhere but are not significant.
    for theme in ("dark", "ansi"):
        app = app_factory(theme=theme, start_mode="compare", run_id=3)
        async with app.run_test(size=SIZE) as pilot:
            await settle(pilot)
            matrix = app.screen.query_one("#matrix", DataTable)
            cell = matrix.get_cell("pass_rate:Δterse", "all")
            assert cell.style == "dim" and not str(cell).endswith("*")
            assert "pass_rate" in "\n".join(s.text for s in app.screen._compositor.render_strips())


async def test_home_updates_rows_in_place_while_a_run_progresses(app_factory, seeded):
    from sqlalchemy import update

    from tamma_tui.store.models import Run

    engine, ids = seeded
    with engine.begin() as conn:
        conn.execute(update(Run).where(Run.id == ids["terse-vs-baseline-3"]).values(status="running"))
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        runs = screen.query_one("#runs", DataTable)
        assert "In progress: run 3" in static_text(screen.query_one("#in-progress"))
        runs.move_cursor(row=1)
        first_row_key = list(runs.rows)[0]
        with engine.begin() as conn:
            conn.execute(update(Run).where(Run.id == ids["terse-vs-baseline-3"]).values(status="cancelled"))
        screen._poll()  # what the 2-second timer does
        await settle(pilot)
        assert table_column(runs, "status")[0] == "cancelled"
        assert list(runs.rows)[0] is first_row_key  # the same row, updated in place
        assert runs.cursor_row == 1
        assert "No run in progress" in static_text(screen.query_one("#in-progress"))


async def test_a_new_user_with_an_empty_database_can_visit_every_screen(tmp_path):
    from tamma_tui.store.db import open_database
    from tamma_tui.tui.app import AppServices, TammaApp

    app = TammaApp(services=AppServices(db_engine=open_database(tmp_path / "empty.db"), workdir=tmp_path))
    async with app.run_test(size=SIZE) as pilot:
        for key, mode in zip("2345671", ("configs", "designer", "run", "compare", "significance",
                                        "trends", "home")):
            await pilot.press(key)
            await settle(pilot)
            assert app.current_mode == mode
            if mode == "designer":  # its first field has the focus: leave it to use the keys
                await pilot.press("escape")
        assert not [n for n in app._notifications if n.severity == "error"]
        screen_text = "\n".join(s.text for s in app.screen._compositor.render_strips())
        assert "No run in progress" in screen_text
        await pilot.press("6")
        await settle(pilot)
        assert "No run selected" in static_text(app.screen.query_one("#sig-head"))


async def test_significance_explains_sequential_looks(app_factory):
    from tamma_tui.services.reports import report_for_run

    def with_looks(engine, run_id, **options):
        report = report_for_run(engine, run_id, **options)
        report["sequential_looks"] = [
            {"look": 1, "n_tasks": 12, "metric": "pass_rate", "decision": "continue", "results": {}},
            {"look": 2, "n_tasks": 24, "metric": "pass_rate", "decision": "stop_winner", "results": {}},
        ]
        return report

    app = app_factory(start_mode="significance", run_id=1, services={"report_for_run": with_looks})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        decision = static_text(app.screen.query_one("#decision-text"))
        assert "Sequential: 2 look(s) on pass_rate; the last, at 24 tasks, decided stop_winner." in decision


async def test_a_slow_report_of_an_earlier_run_never_replaces_the_current_one(app_factory):
    import asyncio
    import threading

    from tamma_tui.services.reports import report_for_run

    release_run_1 = threading.Event()

    def slow_for_run_1(engine, run_id, **options):
        if run_id == 1:
            release_run_1.wait(10)
        return report_for_run(engine, run_id, **options)

    app = app_factory(start_mode="significance", run_id=1, services={"report_for_run": slow_for_run_1})
    async with app.run_test(size=SIZE) as pilot:
        await pilot.pause()
        screen = app.screen
        app.run_id = 2  # picked elsewhere while run 1's report is still being computed
        screen.load_report()
        for _ in range(200):
            if screen.detail is not None:
                break
            await asyncio.sleep(0.02)
        assert screen.detail.summary.id == 2
        release_run_1.set()
        await settle(pilot)
        assert screen.detail.summary.id == 2
        assert static_text(screen.query_one("#sig-head")).startswith("Run 2 ")


async def test_moving_through_the_agents_list_loads_each_agent(app_factory):
    app = app_factory(start_mode="configs")
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        versions = screen.query_one("#versions", DataTable)
        assert table_column(versions, "version") == ["1", "2"]  # tamma-dev
        screen.query_one("#agents", DataTable).focus()
        await pilot.press("down")
        await settle(pilot)
        assert app.agent_id == "tamma-terse"
        assert table_column(versions, "version") == ["1"]
        assert "agentId: tamma-terse" in static_text(screen.query_one("#config-text"))
        await pilot.press("7")  # Trends follows the agent chosen on Configs
        await settle(pilot)
        assert static_text(app.screen.query_one("#trend-head")).startswith("tamma-terse:")
        app.screen.query_one("#trend-agents", DataTable).focus()
        await pilot.press("up")
        await settle(pilot)
        assert app.agent_id == "tamma-dev"
        assert static_text(app.screen.query_one("#trend-head")).startswith("tamma-dev:")


async def test_each_screen_loads_its_lists_once_when_first_shown(app_factory, monkeypatch):
    from tamma_tui.services import browse

    calls: list[str] = []

    def counted(name):
        real = getattr(browse, name)

        def call(*args, **kwargs):
            calls.append(name)
            return real(*args, **kwargs)

        monkeypatch.setattr(browse, name, call)

    counted("recent_runs")
    counted("list_configs")
    app = app_factory()
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        assert calls == ["recent_runs", "list_configs"]  # Home: mounted and resumed, one load
        assert app.agent_id == "tamma-dev"
        calls.clear()
        await pilot.press("2")  # Configs, first shown with an agent already chosen
        await settle(pilot)
        assert calls == ["list_configs"]
