"""`tamma-bench run` with bad input: one line on stderr naming the file and field, exit
status 2, and not a single run row in the database."""

from __future__ import annotations

import socket

import pytest
from run_cli_helpers import write_cli_experiment
from sqlalchemy import text

from tamma_tui.cli import main
from tamma_tui.providers.simulated.server import BackgroundSimServer
from tamma_tui.providers.simulated.service import SimService
from tamma_tui.store.db import open_database


@pytest.fixture(scope="module")
def sim():
    with BackgroundSimServer(SimService(latency_ms=1)) as server:
        yield server


def closed_port_url() -> str:
    s = socket.socket()
    s.bind(("127.0.0.1", 0))
    port = s.getsockname()[1]
    s.close()  # nothing listens there now
    return f"http://127.0.0.1:{port}/v1"


def replace_in(path, old, new):
    body = path.read_text()
    assert old in body
    path.write_text(body.replace(old, new))


CASES = {
    "malformed_yaml": (lambda t, e: e.write_text("name: [unclosed\nsuite: x\n"), "exp.yaml", "malformed YAML"),
    "unknown_provider": (lambda t, e: replace_in(t / "agents" / "base.yaml", "provider: openai", "provider: gpt-magic"),
                         "base.yaml", "provider"),
    "unknown_field": (lambda t, e: e.write_text(e.read_text() + "colour: blue\n"), "exp.yaml", "colour: unknown field"),
    "wrong_type": (lambda t, e: replace_in(e, "concurrency: 2", "concurrency: lots"), "exp.yaml", "concurrency"),
    "missing_key_var": (lambda t, e: (t / "agents" / "base.yaml").write_text(
        (t / "agents" / "base.yaml").read_text() + "api_key_env: TAMMA_TEST_SURELY_UNSET_KEY\n"),
        "base.yaml", "TAMMA_TEST_SURELY_UNSET_KEY"),
    "nonexistent_suite": (lambda t, e: replace_in(e, "suite: tamma-match", "suite: no-such-suite"), "exp.yaml", "suite"),
    "negative_trials": (lambda t, e: replace_in(e, "trials: 2", "trials: -3"), "exp.yaml", "trials"),
    "unreachable_base_url": (lambda t, e: None, "base.yaml", "base_url"),
}


@pytest.mark.parametrize("case", sorted(CASES))
def test_bad_input_is_one_line_exit_2_and_nothing_written(case, tmp_path, sim, capsys, monkeypatch):
    monkeypatch.delenv("TAMMA_TEST_SURELY_UNSET_KEY", raising=False)
    mutate, where, what = CASES[case]
    url = closed_port_url() if case == "unreachable_base_url" else sim.base_url
    exp = write_cli_experiment(tmp_path, url)
    mutate(tmp_path, exp)
    db = tmp_path / "t.db"
    code = main(["--db", str(db), "run", str(exp)])
    err = capsys.readouterr().err
    assert code == 2
    lines = err.strip().splitlines()
    assert len(lines) == 1, err
    assert where in lines[0] and what in lines[0], lines[0]
    with open_database(db).connect() as conn:
        assert conn.execute(text("select count(*) from run")).scalar() == 0
        assert conn.execute(text("select count(*) from experiment")).scalar() == 0
        assert conn.execute(text("select count(*) from trial")).scalar() == 0


def test_bad_option_values_exit_2(tmp_path, sim, capsys):
    exp = write_cli_experiment(tmp_path, sim.base_url)
    with pytest.raises(SystemExit) as exc:
        main(["--db", str(tmp_path / "t.db"), "run", str(exp), "--concurrency", "0"])
    assert exc.value.code == 2
    assert main(["--db", str(tmp_path / "t.db"), "run", str(exp), "--resume", "42"]) == 2
    assert "run 42 not found" in capsys.readouterr().err
