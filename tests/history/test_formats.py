"""Output formats: JUnit and GitHub escaping, history as Markdown, expired acknowledgements."""

from __future__ import annotations

import xml.etree.ElementTree as ET
from datetime import timedelta

from tamma_tui.cli import main
from tamma_tui.history import formats
from tamma_tui.store import history as store
from tamma_tui.store.models import utcnow

from .history_helpers import add_run, config, new_db

ROW = {"name": "a<&>/development/pass_rate", "verdict": "regressed", "estimate": -0.1, "reference_mean": 0.7,
       "margin": 0.02, "n_tasks": 40, "p_worse": 0.001, "more_tasks": None, "flaky": {}}


def test_junit_escapes_and_counts():
    outcome = {"run_id": 3, "against": "run 1", "verdict": "regressed",
               "results": [ROW, {**ROW, "name": "b/testing/score", "verdict": "inconclusive", "more_tasks": 12}]}
    root = ET.fromstring(formats.junit(outcome))
    suite = root.find("testsuite")
    assert suite.get("tests") == "2" and suite.get("failures") == "1"
    names = [c.get("name") for c in suite.iter("testcase")]
    assert names == ["a<&>/development/pass_rate", "b/testing/score"]
    assert "about 12 more tasks" in list(suite.iter("testcase"))[1].find("system-out").text


def test_github_commands_escape_newlines_and_percent():
    outcome = {"run_id": 3, "against": "run 1", "verdict": "regressed",
               "results": [{**ROW, "name": "x%\ny/development/pass_rate"}]}
    text = formats.github(outcome)
    first = text.splitlines()[0]
    assert first.startswith("::error title=tamma-bench x%25%0Ay/development/pass_rate::")
    assert len(text.splitlines()) == 2


def test_history_markdown_and_table(tmp_path, capsys):
    engine = new_db(tmp_path)
    v1 = config(engine, "dev", 1)
    for d in range(12):
        add_run(engine, day=d, arms=[("baseline", v1, 0.0 if d < 6 else -2.5)], n_tasks=40, repeats=2, seed=d)
    assert main(["history", "dev", "--metric", "pass_rate", "--format", "md", "--db", str(tmp_path / "history.db")]) == 0
    out = capsys.readouterr().out
    assert out.startswith("# History of dev: 12 run(s)")
    assert "| run | at | version | value | pinned | marks |" in out
    assert "<< regressed" in out and "badge REGRESSED" in out
    assert main(["history", "dev", "--db", str(tmp_path / "history.db")]) == 0
    assert "latency_s / development" in capsys.readouterr().out


def test_expired_acknowledgement_no_longer_accepts(tmp_path):
    from tamma_tui.store import transaction

    engine = new_db(tmp_path)
    rid = add_run(engine, day=0, arms=[("baseline", config(engine, "dev", 1), 0.0)], n_tasks=5)
    with transaction(engine) as session:
        store.save_check(session, rid, "run 0", "regressed", False, {})
        store.save_ack(session, rid, "known", utcnow() + timedelta(days=2))
    assert store.accepted_runs(engine, [rid]) == {rid}
    assert store.accepted_runs(engine, [rid], now=utcnow() + timedelta(days=3)) == set()


def test_aa_runs_raise_the_noise_floor(tmp_path):
    from tamma_tui.services import history

    engine = new_db(tmp_path)
    v1 = config(engine, "dev", 1)
    for d in range(8):
        add_run(engine, day=d, arms=[("baseline", v1, 0.0)], n_tasks=200, repeats=4, seed=d)
    quiet = history.agent_history(engine, "dev", metric="pass_rate")["series"][0]["noise_floor"]
    # An A/A run whose two identical arms came out 0.2 apart: the environment is noisier than
    # the runs' own standard errors say.
    add_run(engine, day=9, arms=[("baseline", v1, 0.0), ("baseline-aa", v1, -1.0)], n_tasks=200, repeats=4,
            seed=50, kind="aa")
    noisy = history.agent_history(engine, "dev", metric="pass_rate")["series"][0]["noise_floor"]
    assert quiet < 0.03 and noisy > 0.1


def test_a_pinned_config_of_another_agent_still_pins_this_history(tmp_path):
    from tamma_tui.store import history as store_history

    engine = new_db(tmp_path)
    mine, frozen = config(engine, "dev", 1), config(engine, "dev-frozen", 1)
    other = config(engine, "someone-else", 1)
    add_run(engine, day=0, arms=[("baseline", mine, 0.0), ("pinned", frozen, 0.0)], n_tasks=5)
    add_run(engine, day=1, arms=[("baseline", other, 0.0), ("pinned", frozen, 0.0)], n_tasks=5)
    arms = store_history.agent_arms(engine, "dev")
    assert [(a["run_id"], a["arm"]) for a in arms] == [(1, "baseline"), (1, "pinned")]
