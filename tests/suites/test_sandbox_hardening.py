"""Issue 11 §1: what agent code can no longer reach or do, per isolation level."""

from __future__ import annotations

import os
import secrets
import socket
import subprocess
import sys
from pathlib import Path

import pytest

from tamma_tui.errors import Refused
from tamma_tui.suites import sandbox

LEVEL = sandbox.isolation_level()
REPO = str(Path(__file__).resolve().parents[2])
FULL = pytest.mark.skipif(LEVEL != "full", reason="needs full isolation")
SYSTEM_PY = "/usr/bin/python3"
CAN_SETPRIV = os.geteuid() == 0 and os.path.exists("/usr/bin/setpriv") and os.path.exists(SYSTEM_PY)


def _probe(code: str) -> str:
    res = sandbox.run_python("p.py", {"p.py": code})
    assert res.exit_code == 0, res.stderr
    return res.stdout.strip()


@FULL
def test_host_temp_home_and_registered_folders_are_hidden(tmp_path):
    secret = f"canary-{secrets.token_hex(8)}"
    in_tmp = Path("/tmp") / f"tamma-secret-{secrets.token_hex(4)}"
    in_home = Path(os.path.expanduser("~")) / f".tamma-secret-{secrets.token_hex(4)}"
    db_dir = tmp_path / "dbfolder"
    db_dir.mkdir()
    (db_dir / "results.db").write_text(secret)
    sandbox.hide_path(db_dir)
    try:
        for path in (in_tmp, in_home):
            path.write_text(secret)
        out = _probe(
            "import os\n"
            f"paths = [{str(in_tmp)!r}, {str(in_home)!r}, {str(db_dir / 'results.db')!r}]\n"
            "print(sum(os.path.exists(p) for p in paths))\n")
        assert out == "0"
    finally:
        in_tmp.unlink(missing_ok=True)
        in_home.unlink(missing_ok=True)


@FULL
def test_suite_answers_and_hidden_tests_are_unreachable():
    from tamma_tui.suites.registry import BUILTIN_DIR

    reference = next(BUILTIN_DIR.rglob("answers/reference.md"))
    hidden = next(BUILTIN_DIR.rglob("hidden/test_hidden.py"))
    out = _probe(f"import os\nprint(os.path.exists({str(reference)!r}), "
                 f"os.path.exists({str(hidden)!r}))\n")
    assert out == "False False"


@FULL
def test_a_world_writable_host_unix_socket_is_unreachable():
    path = f"/tmp/tamma-sock-{secrets.token_hex(4)}"
    server = socket.socket(socket.AF_UNIX)
    server.bind(path)
    os.chmod(path, 0o777)
    server.listen(1)
    try:
        out = _probe("import socket\ns = socket.socket(socket.AF_UNIX)\n"
                     f"try:\n    s.connect({path!r}); print('CONNECTED')\n"
                     "except OSError as e:\n    print('BLOCKED')\n")
        assert out == "BLOCKED"
    finally:
        server.close()
        os.unlink(path)


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux prctl")
def test_payload_has_no_new_privs_and_an_empty_bounding_set():
    out = _probe("s = dict(l.split(':\\t', 1) for l in open('/proc/self/status') if ':\\t' in l)\n"
                 "print(s['NoNewPrivs'].strip(), int(s['CapBnd'], 16), int(s['CapEff'], 16))\n")
    assert out == "1 0 0"


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="Linux prctl")
def test_host_is_not_dumpable_after_grading():
    _probe("print(1)")
    assert not sandbox.is_dumpable()


@FULL
def test_every_run_gets_its_own_bootstrap_copy():
    code = ("print([a for a in open('/proc/1/cmdline', 'rb').read().decode().split(chr(0))"
            " if a.endswith('.pyc')][0])\n")
    first, second = _probe(code), _probe(code)
    assert first.endswith("_bootstrap.pyc") and first != second
    assert not os.path.exists(first) and not os.path.exists(second)


def test_bootstrap_copy_is_read_only_and_checked(tmp_path):
    folder = tmp_path / "run"
    folder.mkdir()
    path = sandbox._write_bootstrap(str(folder))
    assert os.stat(path).st_mode & 0o777 == 0o444
    with pytest.raises(FileExistsError):  # never reused: a planted file is not trusted
        sandbox._write_bootstrap(str(folder))


def _run_as_root_weak(allow: bool) -> subprocess.CompletedProcess:
    code = ("import sys; sys.path.insert(0, sys.argv[1])\n"
            "from tamma_tui.suites import sandbox\n"
            "print(sandbox.isolation_level())\n"
            "r = sandbox.run_python('a.py', {'a.py': 'import os; print(os.getuid())'})\n"
            "print(r.stdout.strip())\n")
    env = dict(os.environ, TAMMA_SANDBOX_WEAK="1")
    env.pop("TAMMA_SANDBOX_ALLOW_ROOT", None)
    if allow:
        env["TAMMA_SANDBOX_ALLOW_ROOT"] = "1"
    return subprocess.run([sys.executable, "-c", code, REPO], capture_output=True, text=True,
                          env=env, timeout=60)


@pytest.mark.skipif(os.geteuid() != 0 or not sandbox._blocked_dirs(sys.base_prefix),
                    reason="root with the interpreter where a dropped uid cannot reach it")
def test_root_that_cannot_drop_its_uid_refuses_unless_opted_in():
    refused = _run_as_root_weak(allow=False)
    assert refused.returncode != 0 and "Refused" in refused.stderr
    assert "uid-0" in refused.stdout.splitlines()[0]
    allowed = _run_as_root_weak(allow=True)
    level, uid = allowed.stdout.split()
    assert "uid-0" in level and uid == "0"


def test_check_can_grade_refuses_without_a_uid_drop(monkeypatch):
    monkeypatch.setitem(sandbox._features(), "uid_drop", False)
    monkeypatch.delenv("TAMMA_SANDBOX_ALLOW_ROOT", raising=False)
    with pytest.raises(Refused, match="TAMMA_SANDBOX_ALLOW_ROOT"):
        sandbox.check_can_grade()
    monkeypatch.setenv("TAMMA_SANDBOX_ALLOW_ROOT", "1")
    sandbox.check_can_grade()
    assert "uid-0" in sandbox.isolation_level()


@pytest.mark.skipif(not CAN_SETPRIV, reason="needs root, setpriv and a system python3")
def test_weak_ordinary_user_with_a_busy_account_still_grades():
    """RLIMIT_NPROC counts the whole account: 70 other processes must not fail a run; and
    agent code under the same uid cannot read tamma-bench's environment (its API keys)."""
    script = (
        "import os, sys, subprocess; sys.path.insert(0, sys.argv[1])\n"
        "busy = [subprocess.Popen(['sleep', '30']) for _ in range(70)]\n"
        "try:\n"
        "    from tamma_tui.suites import sandbox\n"
        "    payload = ('import os\\nkids = []\\nfor _ in range(8):\\n    pid = os.fork()\\n'\n"
        "               '    if pid == 0: os._exit(0)\\n    kids.append(pid)\\n'\n"
        "               'for k in kids: os.waitpid(k, 0)\\n'\n"
        "               'try:\\n    open(\"/proc/HOSTPID/environ\").read()\\n'\n"
        "               '    print(\"LEAK\")\\nexcept OSError:\\n    print(\"OK\")\\n')\n"
        "    payload = payload.replace('HOSTPID', str(os.getpid()))\n"
        "    sandbox.harden_host()\n"
        "    r = sandbox.run_python('p.py', {'p.py': payload})\n"
        "    print(sandbox.isolation_level()); print(r.stdout.strip() or r.stderr.strip()[-200:])\n"
        "    print(sandbox.isolation_note())\n"
        "finally:\n"
        "    for p in busy: p.kill()\n")
    out = subprocess.run(["/usr/bin/setpriv", "--reuid=65534", "--regid=65534", "--clear-groups",
                          SYSTEM_PY, "-c", script, REPO],
                         capture_output=True, text=True, timeout=90, cwd="/",
                         env={"PATH": "/usr/bin:/bin", "TAMMA_SANDBOX_WEAK": "1", "HOME": "/"})
    assert out.returncode == 0, out.stderr
    level, result, note = out.stdout.splitlines()
    assert result == "OK"
    assert "no-filesystem-isolation" in level and "uid-0" not in level
    assert "running as root" not in note and "your own uid" in note
