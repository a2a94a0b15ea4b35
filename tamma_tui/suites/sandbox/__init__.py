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

The mount namespace also hides (empty tmpfs over) /tmp, /run, /var/tmp, /dev/shm, the
host HOME, the results database's folder and the package's own suites (answers, hidden
tests); the payload runs with no_new_privs and an empty capability bounding set; the host
process is made non-dumpable (agent code of the same uid cannot read its environment or
ptrace it). Real root whose uid cannot be dropped refuses to run agent code unless
TAMMA_SANDBOX_ALLOW_ROOT=1, and the level then says "uid-0".

Public API: ``run``, ``run_python``, ``isolation_level``, ``isolation_note``,
``check_can_grade``, ``hide_path``, ``Limits``, ``SandboxResult``. Setting TAMMA_SANDBOX_WEAK=1 skips the namespaces (rlimits, process
group and scrubbed environment only), e.g. to compare behaviour; the level then says so.
"""

from __future__ import annotations

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

from tamma_tui.errors import Refused

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


@functools.lru_cache(maxsize=1)
def _bootstrap_bytes() -> bytes:
    """The compiled bootstrap, held in memory; compiled once per process."""
    return pyc_bytes(_BOOTSTRAP_SOURCE.read_text(encoding="utf-8"), str(_BOOTSTRAP_SOURCE))


def _write_bootstrap(folder: str) -> str:
    """A private read-only copy of the bootstrap for one run, in that run's own folder.

    Never shared between runs: a payload that replaced a shared copy would run its code in
    every later grade. The copy is written fresh, made read-only and checked against the
    in-memory bytes just before the interpreter starts.
    """
    path = os.path.join(folder, "_bootstrap.pyc")
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_NOFOLLOW, 0o444)
    with os.fdopen(fd, "wb") as fh:
        fh.write(_bootstrap_bytes())
    with open(path, "rb") as fh:
        if fh.read() != _bootstrap_bytes():
            raise OSError(f"sandbox bootstrap changed on disk: {path}")
    return path


_host_hardened = False


def harden_host() -> None:
    """Make this process non-dumpable (once): agent code running under the same uid can
    then neither read /proc/<pid>/environ (API keys) nor ptrace or inspect it."""
    global _host_hardened
    if _host_hardened or not sys.platform.startswith("linux"):
        return
    import ctypes

    try:
        ctypes.CDLL(None, use_errno=True).prctl(4, 0, 0, 0, 0)  # PR_SET_DUMPABLE, 0
    except (OSError, AttributeError):
        return
    _host_hardened = True


def is_dumpable() -> bool:
    import ctypes

    return bool(ctypes.CDLL(None).prctl(3, 0, 0, 0, 0))  # PR_GET_DUMPABLE


# ---------------------------------------------------------------- hidden paths

_extra_hidden: set[str] = set()
PATH_SEP = "\x1e"


def hide_path(path: str | os.PathLike) -> None:
    """Also hide `path` (a folder) from sandboxed code, e.g. the folder of a results
    database opened with --db. Applies to runs started afterwards."""
    _extra_hidden.add(os.path.realpath(path))


def hidden_paths() -> list[str]:
    """Folders covered by an empty tmpfs in the sandbox's mount namespace: temp and
    runtime folders (host unix sockets), HOME (keys, tokens), the default results
    database folder, the package's own suites (answers and hidden tests) and anything
    registered with hide_path."""
    paths = {"/tmp", "/var/tmp", "/run", "/dev/shm", os.path.realpath(tempfile.gettempdir()),
             str(Path(__file__).resolve().parents[1])}  # tamma_tui/suites
    home = os.environ.get("HOME") or os.path.expanduser("~")
    if home and home != "/":
        paths.add(os.path.realpath(home))
    try:
        from platformdirs import user_data_dir

        paths.add(os.path.realpath(user_data_dir("tamma-bench", appauthor=False)))
    except ImportError:
        pass
    paths |= _extra_hidden
    return sorted(p for p in paths if p != "/" and os.path.isdir(p))


# ---------------------------------------------------------------- isolation probing

_probe_lock = threading.Lock()
_probe_result: dict | None = None

# A probed feature, the name of its absence in the isolation level, and the CLI's note.
_GAPS = (
    ("uid_drop", "uid-0",
     "running as root and the uid could not be dropped: agent code runs as root "
     "(allowed only with TAMMA_SANDBOX_ALLOW_ROOT=1)"),
    ("net", "no-network-isolation",
     "no network namespace here: sandboxed code can reach the network and host services"),
    ("fs", "no-filesystem-isolation",
     "no read-only mount namespace here: sandboxed code can read every file this account "
     "can (keys under HOME, the results database, the suites' answers) and write outside "
     "its workspace where permissions allow; the workspace has no disk cap"),
    ("hidden", "no-hidden-paths",
     "the sandbox could not hide /tmp, /run, HOME, the database folder and the suites' "
     "answers: sandboxed code can read them and reach host unix sockets"),
    ("pid", "no-pid-isolation",
     "no pid namespace here: stray processes are killed by process group only, and "
     "sandboxed code can see and signal other processes of its uid"),
    ("nproc", "no-process-limit",
     "agent code runs as root: the process-count limit is not enforced"),
)


def _features() -> dict:
    """Try each isolation step once in a throw-away child and cache what worked."""
    global _probe_result
    with _probe_lock:
        if _probe_result is not None:
            return _probe_result
        # Without the probe (weak mode, not Linux): root drops its uid only if the dropped
        # uid can reach the interpreter without the mount namespace's help.
        can_drop = os.geteuid() != 0 or not _blocked_dirs(sys.base_prefix)
        found = {"net": False, "fs": False, "pid": False, "nproc": can_drop, "errors": [],
                 "uid_drop": can_drop, "hidden": False, "caps": sys.platform.startswith("linux")}
        if sys.platform.startswith("linux") and os.environ.get("TAMMA_SANDBOX_WEAK") != "1":
            run_dir = _run_folder("tamma-probe-")
            ws = os.path.join(run_dir, "ws")
            os.mkdir(ws)
            outside = os.path.join(_workspace_parent(), f"tamma-probe-out-{secrets.token_hex(6)}")
            try:
                policy = {"probe": True, "workspace": ws, "outside": outside,
                          "uid": _pick_uid(), "limits": {}, "allow_root": True,
                          "hide": PATH_SEP.join(hidden_paths()),
                          "isolate": {"net": True, "fs": True, "pid": True}}
                out = subprocess.run(
                    [sys.executable, *PYTHON_FLAGS, _write_bootstrap(run_dir),
                     encode_policy(policy)],
                    capture_output=True, timeout=20, env=_base_env(ws), cwd=ws)
                info = json.loads(out.stdout or b"{}")
                ns = set(info.get("namespaces", []))
                found["net"] = "net" in ns and info.get("interfaces", []) in (["lo"], [])
                found["fs"] = bool(info.get("readonly_root")) and bool(
                    info.get("outside_write_blocked")) and bool(info.get("workspace_writable"))
                found["pid"] = "pid" in ns
                # uid 0 ignores RLIMIT_NPROC; a dropped uid or a user namespace makes it count.
                found["nproc"] = bool(info.get("uid_drop")) or os.geteuid() != 0
                found["uid_drop"] = bool(info.get("uid_drop")) or os.geteuid() != 0
                found["hidden"] = bool(info.get("hidden")) and bool(info.get("hidden_ok"))
                found["caps"] = bool(info.get("no_new_privs"))
                found["errors"] = info.get("errors", []) + ([out.stderr.decode()[-300:]]
                                                           if out.returncode else [])
            except (OSError, ValueError, subprocess.SubprocessError) as exc:
                found["errors"].append(repr(exc))
            finally:
                shutil.rmtree(run_dir, ignore_errors=True)
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
    same_uid = "" if os.geteuid() == 0 else (
        "; agent code runs under your own uid (tamma-bench is made non-dumpable, so it "
        "cannot read its environment or trace it)")
    return "sandbox weaker than full: " + "; ".join(note for _, note in missing) + same_uid


def root_allowed() -> bool:
    return os.environ.get("TAMMA_SANDBOX_ALLOW_ROOT") == "1"


def check_can_grade() -> None:
    """Raise Refused when agent code would run as root and the user did not opt in."""
    if not _features()["uid_drop"] and not root_allowed():
        raise Refused("refusing to grade: running as root and the sandbox cannot drop to an "
                      "unprivileged uid here (no CAP_SYS_ADMIN, interpreter unreachable); "
                      "set TAMMA_SANDBOX_ALLOW_ROOT=1 to grade as root anyway")


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


def _blocked_dirs(path: str) -> list[str]:
    """Ancestors of `path` that an unprivileged uid cannot traverse (e.g. /root, mode 700)."""
    parts = os.path.realpath(path).strip("/").split("/")
    return ["/" + "/".join(parts[:i]) for i in range(1, len(parts))
            if not os.stat("/" + "/".join(parts[:i])).st_mode & 0o001]


def _run_folder(prefix: str) -> str:
    """A private folder for one run: its bootstrap copy and its workspace ("ws").
    Traversable (0711) so a dropped uid reaches the workspace, not listable."""
    folder = tempfile.mkdtemp(prefix=prefix, dir=_workspace_parent())
    os.chmod(folder, 0o711)
    return folder


def _count_uid_processes(uid: int) -> int:
    """Processes (threads count too for RLIMIT_NPROC, but processes dominate) of `uid`."""
    count = 0
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            if os.stat(f"/proc/{entry}").st_uid == uid:
                count += 1
        except OSError:
            continue
    return count


def _nproc_limit(limits: Limits) -> int:
    """RLIMIT_NPROC counts every process of the real uid. A run-private uid has none; under
    our own uid (not root) the account's current processes would eat the allowance and
    correct answers would fail to start threads, so add them to it."""
    if os.geteuid() == 0 or not sys.platform.startswith("linux"):
        return limits.processes
    return limits.processes + _count_uid_processes(os.getuid())


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
    allow_root = root_allowed()
    if not feats["uid_drop"] and not allow_root:
        check_can_grade()
    harden_host()
    run_dir = _run_folder("tamma-sbx-")
    ws = os.path.join(run_dir, "ws")
    os.mkdir(ws)
    try:
        root = Path(ws)
        (root / "tmp").mkdir()
        _write_files(root, files or {})
        uid = _pick_uid() if os.geteuid() == 0 else None
        policy = {
            "workspace": ws,
            "uid": uid,
            "inline_python": _inline_python,
            "allow_root": allow_root,
            "hide": PATH_SEP.join(hidden_paths()) if feats["fs"] else None,
            # Test hook: use the per-mount read-only remount meant for pre-5.12 kernels.
            "ro_fallback": os.environ.get("TAMMA_SANDBOX_RO_FALLBACK") == "1",
            "isolate": {"net": feats["net"], "fs": feats["fs"], "pid": feats["pid"]},
            "limits": {"cpu": limits.cpu_s, "memory": limits.memory_bytes,
                       "fsize": limits.file_bytes, "nproc": _nproc_limit(limits),
                       "nofile": limits.open_files, "disk_mb": limits.disk_mb},
        }
        cmd = [a.replace("{workspace}", ws) for a in argv]
        status_r, status_w = os.pipe()
        policy["status_fd"] = status_w
        full = [sys.executable, *PYTHON_FLAGS, _write_bootstrap(run_dir), encode_policy(policy),
                "--", *cmd]
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
        shutil.rmtree(run_dir, ignore_errors=True)


def run_python(script: str, files: Mapping[str, str | bytes] | None = None, *,
               args: Sequence[str] = (), limits: Limits = Limits(),
               stdin: bytes = b"") -> SandboxResult:
    """Run workspace file `script` with this interpreter (stdlib only, no site-packages).

    The bootstrap's interpreter, once isolated and unprivileged, runs the script itself
    (same flags) instead of starting a second interpreter.
    """
    return run([script, *args], files, limits=limits, stdin=stdin, _inline_python=True)


__all__ = ["Limits", "SandboxResult", "check_can_grade", "harden_host", "hide_path",
           "isolation_level", "isolation_note", "run", "run_python"]
