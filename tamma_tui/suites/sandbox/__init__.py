"""The sandbox that runs agent-written code (DESIGN §6).

Every run gets a fresh temporary workspace (its cwd, HOME and TMPDIR), its own session and
process group, a scrubbed environment, rlimits (CPU, memory, file size, processes, open
files, no core dumps), capped output and a wall-clock timeout that SIGKILLs the whole group.
Where the kernel allows it the run also gets a network namespace with nothing but a downed
loopback, a mount namespace where everything outside the workspace is read-only and the
workspace is a size-limited tmpfs copy, a pid namespace with its own /proc (every process
the payload started dies with it; host processes are invisible), and an unprivileged
throw-away uid when we are root (a user namespace when we are not). What actually works is
probed once and cached; each result says which isolation level was in force.

Public API: ``run``, ``run_python``, ``isolation_level``, ``isolation_note``, ``Limits``,
``SandboxResult``. Setting TAMMA_SANDBOX_WEAK=1 skips the namespaces (rlimits, process
group and scrubbed environment only), e.g. to compare behaviour; the level then says so.
"""

from __future__ import annotations

import atexit
import functools
import json
import os
import queue
import secrets
import select
import selectors
import shutil
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Mapping, Sequence

_BOOTSTRAP_SOURCE = Path(__file__).with_name("_bootstrap.py")
# -S/-s: no site-packages (agent code sees the stdlib only, and start-up is faster);
# -B: no .pyc files. Not -E: PYTHONHASHSEED from our scrubbed env should apply.
PYTHON_FLAGS = ("-S", "-s", "-B")
SAFE_PATH = "/usr/local/bin:/usr/bin:/bin"


@dataclass(frozen=True)
class Limits:
    timeout_s: float = 10.0  # wall clock, whole process group
    cpu_s: int = 10  # RLIMIT_CPU per process
    memory_bytes: int = 1 << 30  # RLIMIT_AS
    file_bytes: int = 16 << 20  # RLIMIT_FSIZE
    processes: int = 64  # RLIMIT_NPROC (counted for the sandbox uid)
    open_files: int = 256  # RLIMIT_NOFILE
    disk_mb: int = 64  # size of the workspace tmpfs (with the mount namespace only)
    output_bytes: int = 1 << 20  # kept per stream; the rest is read and dropped
    flood_factor: int = 32  # a stream beyond output_bytes * this kills the run


@dataclass
class SandboxResult:
    exit_code: int | None
    stdout: str
    stderr: str
    timed_out: bool = False
    stdout_truncated: bool = False
    stderr_truncated: bool = False
    killed_reason: str | None = None  # "timeout" | "output_flood" | "signal N"
    duration_s: float = 0.0
    isolation: str = ""

    @property
    def ok(self) -> bool:
        return self.exit_code == 0 and not self.timed_out


def pyc_bytes(source: str, filename: str) -> bytes:
    """`source` compiled for this interpreter, as the bytes of a .pyc file.

    Sandboxed runs start a fresh interpreter with -B on a fresh workspace, so nothing is
    ever cached; compiling the bootstrap, runner and pytest stand-in once here saves most of
    their start-up cost on every run. Sourceless .pyc files skip the timestamp check.
    """
    import importlib.util
    import marshal

    code = compile(source, filename, "exec", dont_inherit=True)
    return importlib.util.MAGIC_NUMBER + bytes(12) + marshal.dumps(code)


_bootstrap_lock = threading.Lock()
_bootstrap_path: str | None = None


def _bootstrap() -> str:
    """Path of the compiled bootstrap in a private directory (created once per process)."""
    global _bootstrap_path
    with _bootstrap_lock:
        if _bootstrap_path is None or not os.path.exists(_bootstrap_path):
            folder = tempfile.mkdtemp(prefix="tamma-sandbox-")
            path = os.path.join(folder, "_bootstrap.pyc")
            with open(path, "wb") as fh:
                fh.write(pyc_bytes(_BOOTSTRAP_SOURCE.read_text(encoding="utf-8"),
                                   str(_BOOTSTRAP_SOURCE)))
            os.chmod(folder, 0o755)  # readable by the dropped uid is not needed, but harmless
            atexit.register(shutil.rmtree, folder, True)
            _bootstrap_path = path
        return _bootstrap_path


# ---------------------------------------------------------------- isolation probing

_probe_lock = threading.Lock()
_probe_result: dict | None = None

# A probed feature, the name of its absence in the isolation level, and the CLI's note.
_GAPS = (
    ("net", "no-network-isolation",
     "no network namespace here: sandboxed code can reach the network"),
    ("fs", "no-filesystem-isolation",
     "no read-only mount namespace here: sandboxed code can write outside its workspace "
     "where file permissions allow"),
    ("pid", "no-pid-isolation",
     "no pid namespace here: stray processes are killed by process group only"),
    ("nproc", "no-process-limit",
     "running as root without a spare uid: the process-count limit is not enforced"),
)


def _features() -> dict:
    """Try each isolation step once in a throw-away child and cache what worked."""
    global _probe_result
    with _probe_lock:
        if _probe_result is not None:
            return _probe_result
        found = {"net": False, "fs": False, "pid": False, "nproc": False, "errors": []}
        if sys.platform.startswith("linux") and os.environ.get("TAMMA_SANDBOX_WEAK") != "1":
            ws = tempfile.mkdtemp(prefix="tamma-probe-", dir=_workspace_parent())
            outside = os.path.join(_workspace_parent(), f"tamma-probe-out-{secrets.token_hex(6)}")
            try:
                policy = {"probe": True, "workspace": ws, "outside": outside,
                          "uid": _pick_uid(), "limits": {},
                          "isolate": {"net": True, "fs": True, "pid": True}}
                out = subprocess.run(
                    [sys.executable, *PYTHON_FLAGS, _bootstrap(), encode_policy(policy)],
                    capture_output=True, timeout=20, env=_base_env(ws), cwd=ws)
                info = json.loads(out.stdout or b"{}")
                ns = set(info.get("namespaces", []))
                found["net"] = "net" in ns and info.get("interfaces", []) in (["lo"], [])
                found["fs"] = bool(info.get("readonly_root")) and bool(
                    info.get("outside_write_blocked")) and bool(info.get("workspace_writable"))
                found["pid"] = "pid" in ns
                # uid 0 ignores RLIMIT_NPROC; a dropped uid or a user namespace makes it count.
                found["nproc"] = bool(info.get("uid_drop")) or os.geteuid() != 0
                found["errors"] = info.get("errors", []) + ([out.stderr.decode()[-300:]]
                                                           if out.returncode else [])
            except (OSError, ValueError, subprocess.SubprocessError) as exc:
                found["errors"].append(repr(exc))
            finally:
                shutil.rmtree(ws, ignore_errors=True)
                if os.path.exists(outside):
                    os.unlink(outside)
        _probe_result = found
        return found


def _missing() -> list[tuple[str, str]]:
    """(name, note) of each isolation feature the probe found missing."""
    found = _features()
    return [(name, note) for feature, name, note in _GAPS if not found[feature]]


def isolation_level() -> str:
    """"full" (network, mount and pid namespaces plus rlimits), or the missing parts joined
    with "+", e.g. "no-network-isolation"."""
    missing = _missing()
    return "full" if not missing else "+".join(name for name, _ in missing)


def isolation_note() -> str | None:
    """One line for the CLI when isolation is weaker than full, else None."""
    missing = _missing()
    if not missing:
        return None
    return "sandbox weaker than full: " + "; ".join(note for _, note in missing)


# ---------------------------------------------------------------- running

def encode_policy(policy: dict) -> str:
    """Flatten the policy for the bootstrap's argv (it decodes it without importing json)."""
    flat = {k: v for k, v in policy.items() if k not in ("isolate", "limits")}
    flat.update({f"iso_{k}": int(bool(v)) for k, v in policy.get("isolate", {}).items()})
    flat.update({f"lim_{k}": v for k, v in policy.get("limits", {}).items()})
    parts = []
    for key, value in flat.items():
        if isinstance(value, bool):
            value = int(value)
        text = "" if value is None else str(value)
        if "\x1f" in text or "=" in key:
            raise ValueError(f"policy value not encodable: {key}")
        parts.append(f"{key}={text}")
    return "\x1f".join(parts)


def _pick_uid() -> int:
    # A fresh unprivileged uid per run, far above any real account, so RLIMIT_NPROC counts
    # only this run's processes and stray ones can be found by uid.
    return 1_000_000 + secrets.randbelow(1_000_000_000)


def _base_env(workspace: str) -> dict[str, str]:
    return {
        "PATH": SAFE_PATH,
        "LANG": "C.UTF-8",
        "PYTHONHASHSEED": "0",
        "PYTHONDONTWRITEBYTECODE": "1",
        "HOME": workspace,
        "TMPDIR": os.path.join(workspace, "tmp"),
    }


def _write_files(root: Path, files: Mapping[str, str | bytes]) -> None:
    for rel, content in files.items():
        target = (root / rel).resolve()
        if root.resolve() not in target.parents:
            raise ValueError(f"sandbox file escapes the workspace: {rel!r}")
        target.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            target.write_bytes(content)
        else:
            target.write_text(content, encoding="utf-8")


def _kill_group(pgid: int) -> None:
    try:
        os.killpg(pgid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass


def _kill_uid(uid: int) -> int:
    """SIGKILL every process owned by `uid` (a run-private uid); return how many were found."""
    found = 0
    for _ in range(20):  # a fork bomb can spawn while we scan; repeat until none is left
        pids = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit():
                continue
            try:
                with open(f"/proc/{entry}/status", "rb") as fh:
                    for line in fh:
                        if line.startswith(b"Uid:"):
                            if int(line.split()[1]) == uid:
                                pids.append(int(entry))
                            break
            except (OSError, ValueError):
                continue
        if not pids:
            break
        found += len(pids)
        for pid in pids:
            try:
                os.kill(pid, signal.SIGKILL)
            except OSError:
                pass
        time.sleep(0.01)
    return found


def _read_capped(proc: subprocess.Popen, limits: Limits, deadline: float):
    """Read stdout and stderr until EOF, keeping at most output_bytes of each."""
    keep = {proc.stdout: bytearray(), proc.stderr: bytearray()}
    seen = {proc.stdout: 0, proc.stderr: 0}
    reason = None
    with selectors.DefaultSelector() as sel:
        for stream in keep:
            sel.register(stream, selectors.EVENT_READ)
        while sel.get_map():
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                reason = "timeout"
                break
            for key, _ in sel.select(timeout=min(remaining, 0.5)):
                chunk = os.read(key.fd, 65536)
                if not chunk:
                    sel.unregister(key.fileobj)
                    continue
                buf = keep[key.fileobj]
                room = limits.output_bytes - len(buf)
                if room > 0:
                    buf += chunk[:room]
                seen[key.fileobj] += len(chunk)
                if seen[key.fileobj] > limits.output_bytes * limits.flood_factor:
                    reason = "output_flood"
            if reason:
                break
    return keep[proc.stdout], keep[proc.stderr], seen[proc.stdout], seen[proc.stderr], reason


@functools.lru_cache(maxsize=1)
def _workspace_parent() -> str:
    """Where workspaces go: the temp dir, unless the dropped uid could not reach it (e.g.
    TMPDIR under /root), in which case /tmp."""
    base = os.path.realpath(tempfile.gettempdir())
    parts = base.strip("/").split("/")
    reachable = all(os.stat("/" + "/".join(parts[:i])).st_mode & 0o001
                    for i in range(1, len(parts) + 1))
    if not reachable and os.path.isdir("/tmp") and os.access("/tmp", os.W_OK):
        return "/tmp"
    return base


def _read_status(fd: int, deadline: float) -> int | None:
    """The payload's exit status as the bootstrap reports it just before exiting."""
    data = b""
    while time.monotonic() < deadline:
        ready, _, _ = select.select([fd], [], [], max(0.0, deadline - time.monotonic()))
        if not ready:
            break
        chunk = os.read(fd, 64)
        if not chunk:
            break
        data += chunk
    try:
        return int(data.decode().strip())
    except ValueError:
        return None


_reap_queue: "queue.SimpleQueue[subprocess.Popen]" = queue.SimpleQueue()
_reaper_started = False


def _reap_later(proc: subprocess.Popen) -> None:
    """Collect the bootstrap's exit off the caller's path.

    Its output is complete and its status known; what remains is the kernel tearing down
    its namespaces (an RCU grace period for the mount namespace, ~10 ms), which would
    otherwise sit inside every grade.
    """
    global _reaper_started
    with _probe_lock:
        if not _reaper_started:
            threading.Thread(target=_reaper, name="sandbox-reaper", daemon=True).start()
            _reaper_started = True
    _reap_queue.put(proc)


def _reaper() -> None:
    while True:
        proc = _reap_queue.get()
        try:
            proc.wait()
        except Exception:  # noqa: BLE001 - reaping must never stop
            pass


def run(argv: Sequence[str], files: Mapping[str, str | bytes] | None = None, *,
        limits: Limits = Limits(), stdin: bytes = b"",
        _inline_python: bool = False) -> SandboxResult:
    """Run `argv` in a fresh sandbox whose workspace holds `files` (relative path -> content).

    The workspace path is substituted for "{workspace}" in argv. Results come back through
    stdout/stderr only: with the mount namespace the payload writes to a private tmpfs
    that disappears with it.
    """
    feats = _features()
    level = isolation_level()
    ws = tempfile.mkdtemp(prefix="tamma-sbx-", dir=_workspace_parent())
    try:
        root = Path(ws)
        (root / "tmp").mkdir()
        _write_files(root, files or {})
        uid = _pick_uid() if os.geteuid() == 0 else None
        policy = {
            "workspace": ws,
            "uid": uid,
            "inline_python": _inline_python,
            # Test hook: use the per-mount read-only remount meant for pre-5.12 kernels.
            "ro_fallback": os.environ.get("TAMMA_SANDBOX_RO_FALLBACK") == "1",
            "isolate": {"net": feats["net"], "fs": feats["fs"], "pid": feats["pid"]},
            "limits": {"cpu": limits.cpu_s, "memory": limits.memory_bytes,
                       "fsize": limits.file_bytes, "nproc": limits.processes,
                       "nofile": limits.open_files, "disk_mb": limits.disk_mb},
        }
        cmd = [a.replace("{workspace}", ws) for a in argv]
        status_r, status_w = os.pipe()
        policy["status_fd"] = status_w
        full = [sys.executable, *PYTHON_FLAGS, _bootstrap(), encode_policy(policy), "--", *cmd]
        started = time.monotonic()
        deadline = started + limits.timeout_s
        try:
            proc = subprocess.Popen(full, cwd=ws, env=_base_env(ws), stdin=subprocess.PIPE,
                                    stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                    start_new_session=True, close_fds=True,
                                    pass_fds=(status_w,))
        finally:
            os.close(status_w)
        status = None
        try:
            try:
                proc.stdin.write(stdin)
            except BrokenPipeError:
                pass
            proc.stdin.close()
            out, err, n_out, n_err, reason = _read_capped(proc, limits, deadline)
            if reason:
                _kill_group(proc.pid)
            else:
                status = _read_status(status_r, deadline)
            if status is None:
                try:
                    proc.wait(timeout=max(0.05, deadline - time.monotonic()))
                except subprocess.TimeoutExpired:
                    reason = reason or "timeout"
                    _kill_group(proc.pid)
                    proc.wait()
        finally:
            os.close(status_r)
            # Whatever happened, leave nothing running: the group, then the run's uid.
            _kill_group(proc.pid)
            if uid is not None and (reason or not feats["pid"]):
                _kill_uid(uid)
            for stream in (proc.stdout, proc.stderr):
                stream.close()
            if status is not None:
                _reap_later(proc)
        duration = time.monotonic() - started
        code = status if status is not None else proc.returncode
        if code is not None and code > 128 and not reason:
            reason = f"signal {code - 128}"
        return SandboxResult(
            exit_code=code,
            stdout=bytes(out).decode("utf-8", "replace"),
            stderr=bytes(err).decode("utf-8", "replace"),
            timed_out=reason == "timeout",
            stdout_truncated=n_out > len(out),
            stderr_truncated=n_err > len(err),
            killed_reason=reason,
            duration_s=duration,
            isolation=level,
        )
    finally:
        shutil.rmtree(ws, ignore_errors=True)


def run_python(script: str, files: Mapping[str, str | bytes] | None = None, *,
               args: Sequence[str] = (), limits: Limits = Limits(),
               stdin: bytes = b"") -> SandboxResult:
    """Run workspace file `script` with this interpreter (stdlib only, no site-packages).

    The bootstrap's interpreter, once isolated and unprivileged, runs the script itself
    (same flags) instead of starting a second interpreter.
    """
    return run([script, *args], files, limits=limits, stdin=stdin, _inline_python=True)


__all__ = ["Limits", "SandboxResult", "isolation_level", "isolation_note", "run", "run_python"]
