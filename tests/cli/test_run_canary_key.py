"""A canary API key set in the environment never reaches the database, exports, the
progress output or error messages, even when the server rejects it."""

from __future__ import annotations

from run_cli_helpers import write_cli_experiment

from tamma_tui.cli import main
from tamma_tui.providers.simulated.faults import FaultOptions
from tamma_tui.providers.simulated.server import BackgroundSimServer
from tamma_tui.providers.simulated.service import SimService

CANARY = "sk-canary-7f3a9c2e1b5d4f6a8e0c"


def test_canary_key_is_never_written_or_printed(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("TAMMA_CANARY_KEY", CANARY)
    db = str(tmp_path / "canary.db")
    outputs = []
    ok_dir, bad_dir = tmp_path / "ok", tmp_path / "bad"
    ok_dir.mkdir()
    bad_dir.mkdir()
    with BackgroundSimServer(SimService(latency_ms=1)) as ok_server, BackgroundSimServer(
        SimService(latency_ms=1, faults=FaultOptions(status=401, status_rate=1.0))
    ) as bad_server:
        for folder, server in ((ok_dir, ok_server), (bad_dir, bad_server)):
            exp = write_cli_experiment(folder, server.base_url, agent_extra="api_key_env: TAMMA_CANARY_KEY\n",
                                       exp_extra="max_error_rate: 1.0\n")
            for extra in ((), ("--json",)):
                assert main(["--db", db, "run", str(exp), *extra]) == 0
                out = capsys.readouterr()
                outputs += [out.out, out.err]
    for run_id in ("1", "2", "3", "4"):
        for args in (("show", run_id), ("export", run_id, "--format", "csv"),
                     ("export", run_id, "--format", "jsonl")):
            assert main(["--db", db, *args]) == 0
            out = capsys.readouterr()
            outputs += [out.out, out.err]
    joined = "\n".join(outputs)
    # The rejected runs stored their errors, so there was something the key could leak into.
    assert "client_error" in joined
    assert CANARY not in joined
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.name.startswith("canary.db") for p in files)
    for path in files:
        assert CANARY.encode() not in path.read_bytes(), path
