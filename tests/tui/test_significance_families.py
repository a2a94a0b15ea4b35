"""The Significance screen shows each row's family, and a blocked decision with its reasons."""

from __future__ import annotations

from textual.widgets import DataTable

from tests.tui.tui_helpers import settle, static_text, table_column

SIZE = (100, 30)


async def test_significance_shows_families_and_a_blocked_decision(app_factory):
    from tamma_tui.services.reports import report_for_run

    def blocked(engine, run_id, **options):
        report = report_for_run(engine, run_id, **options)
        d = report["decision"]
        d["winner"], d["blocked"], d["rule"] = None, True, None
        d["missingness"] = {"passed": False, "problems": ["terse errs on a different share of tasks than "
                                                          "baseline (20.0% vs 0.0% per task, sign-flip p=0.001)"]}
        d["reasons"].append("Decision blocked by the missingness check: keep baseline.")
        return report

    app = app_factory(start_mode="significance", run_id=1, services={"report_for_run": blocked})
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        table = app.screen.query_one("#comparisons", DataTable)
        families = table_column(table, "family")
        assert families[0] == "conf" and set(families) <= {"conf", "sec", "expl"}
        head = static_text(app.screen.query_one("#sig-head"))
        assert "confirmatory holm" in head and "exploratory BH" in head
        decision = static_text(app.screen.query_one("#decision-text"))
        assert "Decision blocked: keep baseline (the missingness check failed)." in decision
        assert "✗ missingness: terse errs on a different share of tasks" in decision
        assert "Families: confirmatory" in decision
        assert "Confirmatory family: pass_rate" in decision
