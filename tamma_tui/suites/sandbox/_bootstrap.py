"""In-sandbox bootstrap: isolate this process, then hand over to the payload.

Run by the sandbox as ``python -S -s -B _bootstrap.py POLICY -- ARGV...`` where POLICY is
``key=value`` pairs joined by \x1f (see ``encode_policy`` in __init__.py; no json import:
start-up time is paid once per grade). Stdlib only, because it runs with site-packages
switched off. Steps, each optional per the policy:

1. rlimits that are safe to apply to ourselves right away (core, file size, open files, CPU);
2. new namespaces: network (loopback only, down), mount (the whole tree remounted read-only
   except the workspace), pid (so every process the payload starts dies with it), and a user
   namespace when we are not root (that is what lets an ordinary user do the above);
3. fork: the child becomes pid 1 of the new pid namespace, drops to an unprivileged uid
   (when we are root, RLIMIT_NPROC means nothing for uid 0), applies the process and memory
   limits and execs the payload; the parent only waits and relays the exit status.

``--probe`` instead tries every step and prints which ones worked, as JSON, so the host can
name the isolation level honestly.
"""

import ctypes
import os
import resource
import sys

CLONE_NEWNS = 0x00020000
CLONE_NEWUSER = 0x10000000
CLONE_NEWPID = 0x20000000
CLONE_NEWNET = 0x40000000
MS_RDONLY = 1
MS_NOSUID = 2
MS_NODEV = 4
MS_NOEXEC = 8
MS_REMOUNT = 32
MS_BIND = 4096
MS_REC = 16384
MS_PRIVATE = 1 << 18
AT_FDCWD = -100
AT_RECURSIVE = 0x8000
MOUNT_ATTR_RDONLY = 0x1
SYS_MOUNT_SETATTR = {"x86_64": 442, "aarch64": 442}.get(os.uname().machine)
PR_SET_PDEATHSIG = 1
PR_SET_DUMPABLE = 4
PR_CAPBSET_DROP = 24
PR_SET_NO_NEW_PRIVS = 38
PR_CAP_AMBIENT = 47
PR_CAP_AMBIENT_CLEAR_ALL = 4
PATH_SEP = "\x1e"  # separates the paths of the policy's "hide" list
# Exit status when the payload would keep uid 0 and the user did not opt in.
ROOT_REFUSED = 125

_libc = ctypes.CDLL(None, use_errno=True)


class _MountAttr(ctypes.Structure):
    _fields_ = [("attr_set", ctypes.c_uint64), ("attr_clr", ctypes.c_uint64),
                ("propagation", ctypes.c_uint64), ("userns_fd", ctypes.c_uint64)]


def _check(rc, what):
    if rc != 0:
        err = ctypes.get_errno()
        raise OSError(err, f"{what}: {os.strerror(err)}")


def _mount(src, target, fstype, flags):
    _check(_libc.mount(src and src.encode(), target.encode(), fstype and fstype.encode(),
                       ctypes.c_ulong(flags), None), f"mount {target}")


def _write(path, text):
    with open(path, "w") as fh:
        fh.write(text)


def _enter_namespaces(want_net, want_fs, want_pid):
    """unshare() what we can; return the set of namespaces actually entered."""
    flags = (CLONE_NEWNET if want_net else 0) | (CLONE_NEWNS if want_fs else 0) | (
        CLONE_NEWPID if want_pid else 0)
    if not flags:
        return set(), False
    as_root = os.geteuid() == 0
    uid, gid = os.getuid(), os.getgid()
    if not as_root:
        flags |= CLONE_NEWUSER  # an ordinary user may create namespaces inside its own userns
    _check(_libc.unshare(flags), "unshare")
    if not as_root:
        _write("/proc/self/setgroups", "deny")
        _write("/proc/self/uid_map", f"0 {uid} 1")
        _write("/proc/self/gid_map", f"0 {gid} 1")
    entered = set()
    if want_net:
        entered.add("net")
    if want_pid:
        entered.add("pid")
    if want_fs:
        entered.add("mount")
    return entered, not as_root


def _blocked_dirs(path):
    """Ancestors of `path` that an unprivileged uid cannot traverse (e.g. /root, mode 700)."""
    parts = os.path.realpath(path).strip("/").split("/")
    blocked = []
    for i in range(1, len(parts)):
        here = "/" + "/".join(parts[:i])
        if not os.stat(here).st_mode & 0o001:
            blocked.append((here, parts[i]))
    return blocked


def _expose_interpreter(prefix):
    """Let the dropped uid reach the Python install without loosening host permissions.

    A blocked directory such as /root is covered (inside our mount namespace only) by an
    empty tmpfs, and just the entry that leads to the interpreter is bound back into it. That
    also hides the rest of that directory (keys, tokens) from the payload.
    """
    for here, child in _blocked_dirs(prefix):
        fd = os.open(os.path.join(here, child), os.O_PATH | os.O_DIRECTORY)
        try:
            _check(_libc.mount(b"tmpfs", here.encode(), b"tmpfs", ctypes.c_ulong(MS_NOSUID | MS_NODEV),
                               b"mode=0755,size=64k"), f"tmpfs {here}")
            os.mkdir(os.path.join(here, child))
            _mount(f"/proc/self/fd/{fd}", os.path.join(here, child), None, MS_BIND | MS_REC)
        finally:
            os.close(fd)


def _hide(paths, keep):
    """Cover each of `paths` with an empty read-only tmpfs (inside our mount namespace
    only), so agent code cannot read host sockets, temp files, HOME, the results
    database or the suites' answers. Any path in `keep` (the interpreter, the workspace)
    that lies inside a hidden one is bound back, or re-created as an empty mount point
    when it does not exist yet. Returns the paths actually hidden."""
    keep_fds = {}
    for path in keep:
        try:
            keep_fds[path] = os.open(path, os.O_PATH | os.O_DIRECTORY)
        except OSError:
            keep_fds[path] = None
    hidden = []
    try:
        for path in sorted(set(paths), key=len):
            if not os.path.isdir(path) or any(path != h and path.startswith(h + "/") for h in hidden):
                continue  # gone, or already under a hidden folder
            _check(_libc.mount(b"tmpfs", path.encode(), b"tmpfs",
                               ctypes.c_ulong(MS_NOSUID | MS_NODEV | MS_NOEXEC),
                               b"mode=0755,size=64k"), f"tmpfs {path}")
            hidden.append(path)
            for kept, fd in keep_fds.items():
                if not kept.startswith(path.rstrip("/") + "/"):
                    continue
                os.makedirs(kept, exist_ok=True)
                if fd is not None:
                    _mount(f"/proc/self/fd/{fd}", kept, None, MS_BIND | MS_REC)
    finally:
        for fd in keep_fds.values():
            if fd is not None:
                os.close(fd)
    return hidden


def _copy_tree(src, dst):
    for entry in os.scandir(src):
        target = os.path.join(dst, entry.name)
        if entry.is_dir(follow_symlinks=False):
            os.mkdir(target)
            _copy_tree(entry.path, target)
        elif entry.is_file(follow_symlinks=False):
            with open(entry.path, "rb") as fin, open(target, "wb") as fout:
                fout.write(fin.read())


def _workspace_tmpfs(workspace, disk_mb, src):
    """Cover the workspace with a size-limited tmpfs holding a copy of its files (read
    through `src`, opened before anything covered them), so the payload can't fill the
    host disk (RLIMIT_FSIZE caps one file, not how many)."""
    _check(_libc.mount(b"tmpfs", workspace.encode(), b"tmpfs",
                       ctypes.c_ulong(MS_NOSUID | MS_NODEV),
                       f"mode=0755,size={int(disk_mb)}m".encode()), "tmpfs workspace")
    _copy_tree(f"/proc/self/fd/{src}", workspace)


_KEEP_FLAGS = {"nosuid": MS_NOSUID, "nodev": MS_NODEV, "noexec": MS_NOEXEC,
               "noatime": 1024, "nodiratime": 2048, "relatime": 1 << 21}


def _remount_each_readonly():
    """Remount every mount read-only, one by one, keeping its other flags (a user
    namespace may not clear them). Raises if "/" itself stays writable."""
    with open("/proc/self/mountinfo") as fh:
        entries = [line.split() for line in fh]
    done_root = False
    for fields in sorted(entries, key=lambda f: len(f[4])):  # parents before children
        point = fields[4].replace("\\040", " ")
        flags = MS_REMOUNT | MS_BIND | MS_RDONLY
        for opt in fields[5].split(","):
            flags |= _KEEP_FLAGS.get(opt, 0)
        try:
            _mount(None, point, None, flags)
            done_root = done_root or point == "/"
        except OSError:
            if point == "/":
                raise
    if not done_root:
        raise OSError("could not remount / read-only")


def _readonly_except(workspace, prefix=None, disk_mb=None, force_fallback=False, hide=(),
                     keep=()):
    """Hide `hide`, make every mount read-only, then give the workspace back read-write: a
    fresh size-limited tmpfs when `disk_mb` is set, else a bind of the host directory.
    Returns the paths hidden."""
    _mount(None, "/", None, MS_REC | MS_PRIVATE)
    # Keep the workspace's files reachable even if a hidden folder covers its path.
    ws_fd = os.open(workspace, os.O_PATH | os.O_DIRECTORY)
    hidden = _hide(hide, [*keep, workspace]) if hide else []
    if prefix:
        _expose_interpreter(prefix)
    try:
        if force_fallback or SYS_MOUNT_SETATTR is None:
            raise OSError(38, "mount_setattr not used")
        attr = _MountAttr(MOUNT_ATTR_RDONLY, 0, 0, 0)
        _check(_libc.syscall(SYS_MOUNT_SETATTR, AT_FDCWD, b"/", AT_RECURSIVE,
                             ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr))),
               "mount_setattr /")
    except OSError:
        _remount_each_readonly()  # kernels before 5.12 have no recursive mount_setattr
    try:
        if disk_mb:
            try:
                _workspace_tmpfs(workspace, disk_mb, ws_fd)
                return hidden
            except OSError:
                pass  # fall back to the plain bind below
        _mount(f"/proc/self/fd/{ws_fd}", workspace, None, MS_BIND)
        _mount(None, workspace, None, MS_REMOUNT | MS_BIND | MS_NOSUID | MS_NODEV)
        return hidden
    finally:
        os.close(ws_fd)


def _chown_tree(root, uid, gid):
    os.chown(root, uid, gid)
    for base, dirs, files in os.walk(root):
        for name in dirs + files:
            os.chown(os.path.join(base, name), uid, gid, follow_symlinks=False)


def _limit(kind, value):
    if value is None:
        return
    soft, hard = value if isinstance(value, (list, tuple)) else (value, value)
    try:
        resource.setrlimit(kind, (soft, hard))
    except (ValueError, OSError):
        # Never raise a hard limit we cannot raise; lowering the soft one still works.
        _, cur_hard = resource.getrlimit(kind)
        if cur_hard != resource.RLIM_INFINITY:
            resource.setrlimit(kind, (min(soft, cur_hard), cur_hard))


def _prepare(policy):
    """Steps that run before the fork. Returns a dict of what is in force."""
    lim = policy.get("limits", {})
    _limit(resource.RLIMIT_CORE, 0)
    _limit(resource.RLIMIT_FSIZE, lim.get("fsize"))
    _limit(resource.RLIMIT_NOFILE, lim.get("nofile"))
    cpu = lim.get("cpu")
    if cpu:
        _limit(resource.RLIMIT_CPU, (cpu, cpu + 1))  # SIGXCPU first, SIGKILL one second later
    state = {"namespaces": [], "readonly_root": False, "uid_drop": False, "errors": [],
             "hidden": []}
    iso = policy.get("isolate", {})
    try:
        entered, in_userns = _enter_namespaces(iso.get("net"), iso.get("fs"), iso.get("pid"))
        state["namespaces"] = sorted(entered)
        state["userns"] = in_userns
    except OSError as exc:
        state["errors"].append(str(exc))
        entered = set()
    uid = policy.get("uid")
    want_drop = uid is not None and os.geteuid() == 0 and not state.get("userns")
    prefix = sys.base_prefix
    if "mount" in entered:
        try:
            hide = [p for p in (policy.get("hide") or "").split(PATH_SEP) if p]
            keep = [sys.base_prefix, sys.prefix, os.path.dirname(os.path.realpath(sys.executable))]
            state["hidden"] = _readonly_except(
                policy["workspace"], prefix if want_drop else None, lim.get("disk_mb"),
                bool(policy.get("ro_fallback")), hide, keep)
            state["readonly_root"] = True
        except OSError as exc:
            state["errors"].append(str(exc))
    # Without the mount trick a dropped uid may not even reach the interpreter.
    if want_drop and (state["readonly_root"] or not _blocked_dirs(prefix)):
        try:
            _chown_tree(policy["workspace"], uid, uid)
            state["uid_drop"] = True
        except OSError as exc:
            state["errors"].append(f"chown: {exc}")
    return state


def _become_payload(policy, state):
    """In the forked child: drop privileges, apply process limits."""
    lim = policy.get("limits", {})
    if state["readonly_root"] and "pid" in state["namespaces"]:
        # We are pid 1 of the new pid namespace: a fresh /proc shows only the sandbox's own
        # processes, not the host's (whose command lines may hold secrets).
        try:
            _mount("proc", "/proc", "proc", MS_NOSUID | MS_NODEV | MS_NOEXEC)
        except OSError:
            pass
    _drop_capabilities()
    if state["uid_drop"]:
        uid = policy["uid"]
        os.setgroups([])
        os.setresgid(uid, uid, uid)
        os.setresuid(uid, uid, uid)
    elif os.geteuid() == 0 and not state.get("userns") and not policy.get("allow_root"):
        # Real root stays root: never run agent code like that unless the user opted in.
        os.write(2, b"sandbox refused: agent code would run as root (uid 0 could not be "
                    b"dropped); set TAMMA_SANDBOX_ALLOW_ROOT=1 to grade anyway\n")
        os._exit(ROOT_REFUSED)
    # Set after the uid change: a credential change clears the parent-death signal.
    try:
        _libc.prctl(PR_SET_PDEATHSIG, 9, 0, 0, 0)
    except AttributeError:  # not Linux: no parent-death signal, the group kill still applies
        pass
    _limit(resource.RLIMIT_NPROC, lim.get("nproc"))
    _limit(resource.RLIMIT_AS, lim.get("memory"))
    if policy.get("inline_python"):
        # The inline payload (e.g. the test runner) forks children that run agent code
        # under the same uid: non-dumpable, they cannot open our /proc fds or trace us.
        # (An exec'd payload is dumpable again; it has no such children to fear.)
        try:
            _libc.prctl(PR_SET_DUMPABLE, 0, 0, 0, 0)
        except AttributeError:
            pass
    os.chdir(policy["workspace"])


def _drop_capabilities():
    """No new privileges (setuid binaries gain nothing), an empty capability bounding set
    and no ambient capabilities: even a payload that keeps uid 0 cannot regain what it
    lacks, and one that drops to a uid cannot get capabilities back through exec."""
    try:
        _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0)
        _libc.prctl(PR_CAP_AMBIENT, PR_CAP_AMBIENT_CLEAR_ALL, 0, 0, 0)
        try:
            with open("/proc/sys/kernel/cap_last_cap") as fh:
                last = int(fh.read())
        except (OSError, ValueError):
            last = 40
        for cap in range(last + 1):
            _libc.prctl(PR_CAPBSET_DROP, cap, 0, 0, 0)  # fails harmlessly without CAP_SETPCAP
    except AttributeError:  # no prctl: not Linux
        pass


def _probe(policy):
    state = _prepare(policy)
    pid = os.fork()
    if pid == 0:
        try:
            _become_payload(policy, state)
            ok_write = True
            try:
                with open(os.path.join(policy["workspace"], "probe.txt"), "w") as fh:
                    fh.write("x")
            except OSError:
                ok_write = False
            outside_blocked = True
            try:
                fd = os.open(policy["outside"], os.O_CREAT | os.O_WRONLY, 0o600)
                os.close(fd)
                os.unlink(policy["outside"])
                outside_blocked = False
            except OSError:
                pass
            import json
            import socket
            ifaces = [name for _, name in socket.if_nameindex()]
            hidden_ok = all(not os.listdir(p) for p in state["hidden"]
                            if not any(k.startswith(p.rstrip("/") + "/") for k in
                                       (policy["workspace"], sys.base_prefix, sys.prefix)))
            with open("/proc/self/status") as fh:
                status = dict(line.rstrip("\n").split(":\t", 1) for line in fh if ":\t" in line)
            os.write(1, json.dumps({**state, "workspace_writable": ok_write,
                                    "outside_write_blocked": outside_blocked,
                                    "interfaces": ifaces, "hidden_ok": hidden_ok,
                                    "euid": os.geteuid(),
                                    "no_new_privs": status.get("NoNewPrivs", "0").strip() == "1",
                                    "cap_bounding": status.get("CapBnd", "").strip()}).encode())
            os._exit(0)
        except BaseException as exc:  # report, never hang the probe
            import json
            os.write(1, json.dumps({**state, "errors": state["errors"] + [repr(exc)]}).encode())
            os._exit(1)
    _, status = os.waitpid(pid, 0)
    return os.waitstatus_to_exitcode(status)


def _run_inline(argv):
    """Run a Python script in this (already isolated, unprivileged) interpreter: saves a
    second interpreter start per run. Exit like `python script.py` would."""
    sys.argv = list(argv)
    path = os.path.abspath(argv[0])
    sys.path[0] = os.path.dirname(path)
    main_module = type(sys)("__main__")
    main_module.__file__ = path
    main_module.__builtins__ = __builtins__
    sys.modules["__main__"] = main_module
    code = 0
    try:
        with open(path, "rb") as fh:
            source = fh.read()
        if path.endswith(".pyc"):  # precompiled by the host: skip compiling every run
            import marshal

            compiled = marshal.loads(source[16:])
        else:
            compiled = compile(source, path, "exec")
        exec(compiled, main_module.__dict__)
    except SystemExit as exc:
        code = exc.code if isinstance(exc.code, int) else (0 if exc.code is None else 1)
        if exc.code is not None and not isinstance(exc.code, int):
            sys.stderr.write(f"{exc.code}\n")
    except BaseException:  # noqa: BLE001 - the payload's own crash, reported like python does
        import traceback

        traceback.print_exc()
        code = 1
    for stream in (sys.stdout, sys.stderr):
        try:
            stream.flush()
        except BaseException:  # noqa: BLE001
            pass
    os._exit(code & 0xFF)


def decode_policy(text):
    """``a=1\x1fb=x`` -> {"a": 1, "b": "x", "isolate": {...}, "limits": {...}}."""
    flat = {}
    for item in text.split("\x1f"):
        if "=" in item:
            key, value = item.split("=", 1)
            flat[key] = int(value) if value.lstrip("-").isdigit() else (value or None)
    policy = {k: v for k, v in flat.items() if not k.startswith(("iso_", "lim_"))}
    policy["isolate"] = {k[4:]: bool(v) for k, v in flat.items() if k.startswith("iso_")}
    policy["limits"] = {k[4:]: v for k, v in flat.items() if k.startswith("lim_")}
    return policy


def main():
    policy = decode_policy(sys.argv[1])
    if policy.get("probe"):
        sys.exit(_probe(policy))
    argv = sys.argv[sys.argv.index("--") + 1:]
    state = _prepare(policy)
    status_fd = policy.get("status_fd")
    pid = os.fork()
    if pid == 0:
        try:
            if status_fd is not None:
                os.close(status_fd)  # only the waiting parent reports the status
            _become_payload(policy, state)
            if policy.get("inline_python"):
                _run_inline(argv)
            os.execve(argv[0], argv, os.environ)
        except BaseException as exc:
            os.write(2, f"sandbox exec failed: {exc!r}\n".encode())
        os._exit(126)
    # The waiting parent keeps root (or ns-root) but runs nothing of the payload's.
    while True:
        try:
            _, status = os.waitpid(pid, 0)
            break
        except InterruptedError:
            continue
    code = os.waitstatus_to_exitcode(status)
    code = 128 - code if code < 0 else code
    if status_fd is not None:
        # Tell the host now: our own exit waits for the kernel to drop the namespaces.
        os.close(1)
        os.close(2)
        os.write(status_fd, str(code).encode())
    os._exit(code)  # nothing to flush; skip interpreter teardown


if __name__ == "__main__":
    main()
