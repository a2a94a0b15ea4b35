"""The Changes screen (key 8) at 80x24: approve (with a reason) and roll back from the screen,
each confirmed first, on a real run of the simulated agent and a real tamma.config.json;
and the Significance screen's "propose this winner"."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tests.simserver_fixture import running_sim_server
from tests.tui.tui_helpers import settle, static_text, table_column

ROOT = Path(__file__).resolve().parents[2]
SIZE = (80, 24)
EXPERIMENT = """
name: screen-test
suite: tamma-core
contexts: [code_review]
max_tasks: 3
baseline: {tamma_config: tamma.config.json, role: reviewer}
variants:
  - name: cool
    overrides: {parameters: {temperature: 0.2}}
analysis: {primary_metric: cost_usd}
"""


@pytest.fixture()
def world(tmp_path):
    from tamma_tui.services.experiments import run_experiment
    from tamma_tui.store.db import open_database

    with running_sim_server() as url:
        doc = json.loads((ROOT / "sample_configs" / "tamma" / "tamma.config.json").read_text())
        doc["roles"]["reviewer"]["providerChain"][0]["config"]["baseUrl"] = url
        (tmp_path / "tamma.config.json").write_text(json.dumps(doc, indent=2) + "\n")
        (tmp_path / "exp.yaml").write_text(EXPERIMENT)
        engine = open_database(tmp_path / "bench.db")
        outcome = run_experiment(tmp_path / "exp.yaml", db=engine)
    return tmp_path, engine, outcome.run_id


def make_app(engine, folder, **kwargs):
    from tamma_tui.tui.app import AppServices, TammaApp

    return TammaApp(services=AppServices(db_engine=engine, workdir=folder), **kwargs)


async def type_text(pilot, text: str) -> None:
    await pilot.press(*text)
    await pilot.press("enter")


async def test_approve_apply_and_roll_back_from_the_screen(world):
    from tamma_tui.services import changes

    folder, engine, run_id = world
    config = folder / "tamma.config.json"
    original = config.read_bytes()
    proposed = changes.propose(engine, run_id, "cool", f"tamma-file:{config}", actor="ana")
    app = make_app(engine, folder, start_mode="home")
    async with app.run_test(size=SIZE) as pilot:
        await pilot.press("8")
        await settle(pilot)
        screen = app.screen
        assert table_column(screen.query_one("#change-list"), "state") == ["proposed"]
        assert "Evidence: run" in static_text(screen.query_one("#change-evidence"))
        from tamma_tui.tui.screens.changes import side_by_side

        changed = [(a.strip(), b.strip()) for a, b, kind in side_by_side(screen._current["diff"]) if kind == "changed"]
        assert changed == [('"temperature": 0.7', '"temperature": 0.2')]

        await pilot.press("a")  # approve: asks for a reason
        await pilot.pause()
        await type_text(pilot, "steadier reviews")
        await settle(pilot)
        assert table_column(screen.query_one("#change-list"), "state") == ["approved"]
        assert "approve: steadier reviews" in static_text(screen.query_one("#change-events"))

        await pilot.press("p")  # apply: confirmed first; "n" leaves it alone
        await pilot.pause()
        await pilot.press("n")
        await settle(pilot)
        assert config.read_bytes() == original
        await pilot.press("p")
        await pilot.pause()
        await pilot.press("y")
        await settle(pilot)
        assert table_column(screen.query_one("#change-list"), "state") == ["applied"]
        assert config.read_bytes() != original

        await pilot.press("b")  # roll back, with a reason
        await pilot.pause()
        await type_text(pilot, "team prefers the old one")
        await settle(pilot)
        states = table_column(screen.query_one("#change-list"), "state")
        assert states == ["rolled_back", "applied"]
    assert config.read_bytes() == original
    assert changes.show(engine, proposed["id"])["state"] == "rolled_back"
    from tamma_tui.services.audit import verify

    assert verify(engine)["ok"]


async def test_significance_proposes_the_winner(world, monkeypatch):
    from tamma_tui.services import changes

    folder, engine, run_id = world
    decision = {"winner": "cool"}
    app = make_app(engine, folder, start_mode="significance", run_id=run_id)
    async with app.run_test(size=SIZE) as pilot:
        await settle(pilot)
        screen = app.screen
        # A 3-task run on a free simulated model may name no winner; the binding is what is tested.
        if not ((screen.report or {}).get("decision") or {}).get("winner"):
            screen.report["decision"] = {**(screen.report.get("decision") or {}), **decision}
        await pilot.press("w")
        await pilot.pause()
        field = app.screen.query_one("#store-input")
        assert field.value == f"tamma-file:{folder / 'tamma.config.json'}"
        await pilot.press("enter")
        await settle(pilot)
        assert app.current_mode == "changes"
    listed = changes.list_changes(engine)
    assert [(c["variant"], c["state"], c["target"]) for c in listed] == [("cool", "proposed", "reviewer")]
