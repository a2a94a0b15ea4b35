"""The whole path from the command line, against `tamma-bench share-server` in its own process."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("opendp", reason="the share-server needs OpenDP (pip install 'tamma-bench[server]')")

from tamma_tui.cli import main  # noqa: E402

from .helpers import CANARIES, make_run  # noqa: E402


@pytest.fixture
def server_url(tmp_path):
    proc = subprocess.Popen(
        [sys.executable, "-m", "tamma_tui", "share-server", "--store", str(tmp_path / "platform.db"),
         "--port", "0", "--k", "0", "--eps-count", "1", "--eps-histogram", "1"],
        stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True, env={**os.environ})
    try:
        line = proc.stdout.readline()
        assert "listening on" in line, line
        yield line.split("listening on ")[1].split()[0]
    finally:
        proc.terminate()
        proc.wait(10)


def test_preview_consent_send_insights_revoke(tmp_path, server_url, capsys):
    db = str(tmp_path / "t.db")
    run_id = make_run(Path(db))

    assert main(["share", "preview", str(run_id), "--db", db]) == 0
    out = capsys.readouterr().out
    assert "configs[0].contexts.development.pass_rate" in out and "Nothing was sent" in out
    assert not any(c in out for c in CANARIES if c != "CANARY")

    assert main(["share", "send", str(run_id), "--to", server_url, "--db", db]) == 2
    assert "no consent given" in capsys.readouterr().err

    assert main(["consent", "grant", "--endpoint", server_url, "--suites", "tamma-core"]) == 2
    assert "interactive terminal, or --yes" in capsys.readouterr().err
    assert main(["consent", "grant", "--endpoint", server_url, "--suites", "tamma-core", "--yes"]) == 0
    capsys.readouterr()
    assert main(["consent", "show"]) == 0
    shown = json.loads(capsys.readouterr().out)
    assert shown["method"] == "--yes flag" and shown["suites"] == ["tamma-core"] and shown["status"] == "active"

    assert main(["share", "send", str(run_id), "--to", server_url, "--db", db]) == 0
    assert "HTTP 200" in capsys.readouterr().out

    # k=0, eps 1: tau = 7; one contributor's cohort is (almost surely) still suppressed.
    assert main(["insights", "--suite", "tamma-core", "--from", server_url, "--json", "--db", db]) == 0
    rows = json.loads(capsys.readouterr().out)["rows"]
    assert {r["context"] for r in rows} == {"development", "code_review", "testing"}
    assert all(r["percentile"] is None and "not published" in r["note"] for r in rows)

    assert main(["consent", "revoke"]) == 0
    assert "deleted 3 record(s)" in capsys.readouterr().out
    assert main(["share", "send", str(run_id), "--to", server_url, "--db", db]) == 2
    assert "revoked" in capsys.readouterr().err


def test_a_custom_suite_is_refused_from_the_cli(tmp_path, capsys):
    suite = tmp_path / "private.jsonl"
    suite.write_text(json.dumps({"id": "q", "context": "development", "prompt": "p", "expected": "x"}) + "\n")
    db = str(tmp_path / "t.db")
    run_id = make_run(Path(db), suite=str(suite))
    assert main(["share", "preview", str(run_id), "--db", db]) == 2
    assert "custom suite" in capsys.readouterr().err


def test_plain_http_to_a_remote_host_is_refused(tmp_path, capsys):
    assert main(["consent", "grant", "--endpoint", "http://platform.example.com", "--suites",
                 "tamma-core", "--yes"]) == 2
    assert "loopback" in capsys.readouterr().err


def _grant_in_a_terminal(answer: str, tmp_path) -> tuple[int, str]:
    """Run `consent grant` with a pseudo-terminal as stdin and stdout, typing ``answer``."""
    import pty
    import select
    import time

    controller, terminal = pty.openpty()
    proc = subprocess.Popen(
        [sys.executable, "-m", "tamma_tui", "consent", "grant", "--endpoint", "http://127.0.0.1:8765",
         "--suites", "tamma-core"], stdin=terminal, stdout=terminal, stderr=terminal, env={**os.environ})
    os.close(terminal)
    seen = b""
    deadline = time.monotonic() + 60
    try:
        while b"Type 'yes'" not in seen and time.monotonic() < deadline:
            if select.select([controller], [], [], 1)[0]:
                seen += os.read(controller, 4096)
        os.write(controller, answer.encode() + b"\n")
        code = proc.wait(60)
        while select.select([controller], [], [], 0.2)[0]:
            try:
                chunk = os.read(controller, 4096)
            except OSError:
                break
            if not chunk:
                break
            seen += chunk
    finally:
        os.close(controller)
    return code, seen.decode(errors="replace")


def test_consent_is_asked_in_an_interactive_terminal(tmp_path, capsys):
    code, text = _grant_in_a_terminal("no", tmp_path)
    assert code == 1 and "Never shared" in text and "not granted" in text
    code, text = _grant_in_a_terminal("yes", tmp_path)
    assert code == 0 and "granted" in text
    assert main(["consent", "show"]) == 0
    assert json.loads(capsys.readouterr().out)["method"] == "interactive terminal"
