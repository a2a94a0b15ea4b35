"""In-sandbox test runner: one interpreter start per grade, one fork per module variant.

Usage inside the sandbox workspace::

    python -S -s -B _tamma_runner.py spec.json   (the nonce arrives on stdin)

spec.json: {"test_file": "test_x.py", "variants": [{"name": ..., "dir": ...}, ...],
            "per_test_timeout": s, "variant_timeout": s}
Each variant directory holds the module under test and a copy of the test file. For each
variant the runner forks; the child imports the tests from that directory, runs every test
with its own try/except and streams one JSON line per outcome through a pipe; the parent
enforces the variant timeout and prints one final line: ``TAMMA_RESULT <nonce> <json>``.
The nonce (read from stdin before any tested code runs) keeps the module's own prints from
passing as a result. Stdlib only; `pytest` is the shim next to this file.
"""

import inspect
import io
import itertools
import json
import os
import re
import select
import signal
import sys
import tempfile
import time
import traceback
import types
from pathlib import Path

import pytest  # the shim in the workspace

MESSAGE_LIMIT = 300


class TestTimeout(BaseException):
    pass


def _short(text, limit=MESSAGE_LIMIT):
    text = " ".join(str(text).split())
    return text if len(text) <= limit else text[: limit - 3] + "..."


def _describe(exc, test_path):
    """One line: the exception and the line of the test file where it surfaced."""
    if isinstance(exc, pytest.OutcomeException):
        return _short(exc.msg or type(exc).__name__)
    msg = f"{type(exc).__name__}: {exc}" if str(exc) else type(exc).__name__
    where = None
    for frame in traceback.extract_tb(exc.__traceback__):
        if os.path.basename(frame.filename) == os.path.basename(test_path):
            where = frame
    if where is not None:
        msg += f" (line {where.lineno}: {where.line})"
    return _short(msg)


# ------------------------------------------------------------------ built-in fixtures

class CaptureResult(tuple):
    def __new__(cls, out, err):
        return super().__new__(cls, (out, err))

    out = property(lambda self: self[0])
    err = property(lambda self: self[1])


class CapSys:
    def __init__(self):
        self._saved = (sys.stdout, sys.stderr)
        self._out, self._err = io.StringIO(), io.StringIO()
        sys.stdout, sys.stderr = self._out, self._err

    def readouterr(self):
        out, err = self._out.getvalue(), self._err.getvalue()
        self._out.seek(0), self._out.truncate()
        self._err.seek(0), self._err.truncate()
        return CaptureResult(out, err)

    def close(self):
        sys.stdout, sys.stderr = self._saved


_NOTSET = object()


class MonkeyPatch:
    def __init__(self):
        self._undo = []

    @staticmethod
    def _resolve(target):
        parts = target.split(".")
        obj = __import__(parts[0])
        done = parts[0]
        for part in parts[1:-1]:
            done += "." + part
            try:
                obj = getattr(obj, part)
            except AttributeError:
                __import__(done)
                obj = getattr(obj, part)
        return obj, parts[-1]

    def setattr(self, target, name, value=_NOTSET, raising=True):
        if value is _NOTSET:
            target, name, value = (*self._resolve(target), name)
        old = getattr(target, name, _NOTSET)
        if old is _NOTSET and raising:
            raise AttributeError(f"{target!r} has no attribute {name!r}")
        if inspect.isclass(target):
            old = target.__dict__.get(name, _NOTSET)
        self._undo.append(lambda: delattr(target, name) if old is _NOTSET
                          else setattr(target, name, old))
        setattr(target, name, value)

    def delattr(self, target, name=_NOTSET, raising=True):
        if name is _NOTSET:
            target, name = self._resolve(target)
        if not hasattr(target, name):
            if raising:
                raise AttributeError(name)
            return
        old = getattr(target, name)
        self._undo.append(lambda: setattr(target, name, old))
        delattr(target, name)

    def setitem(self, mapping, key, value):
        old = mapping.get(key, _NOTSET)
        self._undo.append(lambda: mapping.pop(key, None) if old is _NOTSET
                          else mapping.__setitem__(key, old))
        mapping[key] = value

    def delitem(self, mapping, key, raising=True):
        if key not in mapping:
            if raising:
                raise KeyError(key)
            return
        old = mapping[key]
        self._undo.append(lambda: mapping.__setitem__(key, old))
        del mapping[key]

    def setenv(self, name, value, prepend=None):
        value = str(value)
        if prepend and name in os.environ:
            value = value + prepend + os.environ[name]
        self.setitem(os.environ, name, value)

    def delenv(self, name, raising=True):
        self.delitem(os.environ, name, raising=raising)

    def chdir(self, path):
        old = os.getcwd()
        self._undo.append(lambda: os.chdir(old))
        os.chdir(path)

    def syspath_prepend(self, path):
        self._undo.append(lambda: sys.path.remove(str(path)) if str(path) in sys.path else None)
        sys.path.insert(0, str(path))

    def undo(self):
        while self._undo:
            try:
                self._undo.pop()()
            except Exception:
                pass


pytest.MonkeyPatch = MonkeyPatch


class Request:
    def __init__(self, name, param=_NOTSET):
        self.node = types.SimpleNamespace(name=name)
        self.function_name = name
        if param is not _NOTSET:
            self.param = param


# ------------------------------------------------------------------ collection

def _marks(obj):
    return list(getattr(obj, "pytestmark", []) or [])


def _param_id(value, argname, index):
    if isinstance(value, (int, float, str, bool)) or value is None:
        text = str(value)
        if len(text) <= 30 and "\n" not in text:
            return text
    return f"{argname}{index}"


def _expand_parametrize(marks):
    """[(id_suffix, {arg: value}, extra_marks)] for the product of every parametrize mark."""
    axes = []
    # pytest applies the innermost decorator first; the id order follows that.
    for mark in marks:
        if mark.name != "parametrize":
            continue
        argnames, argvalues = mark.args[0], mark.args[1]
        ids = mark.kwargs.get("ids")
        names = ([n.strip() for n in argnames.split(",") if n.strip()]
                 if isinstance(argnames, str) else list(argnames))
        axis = []
        for i, raw in enumerate(argvalues):
            extra, pid = [], None
            if isinstance(raw, pytest.ParameterSet):
                values, pid, extra = raw.values, raw.id, raw.marks
            elif len(names) == 1:
                values = (raw,)
            else:
                values = tuple(raw)
            if len(values) != len(names):
                raise TypeError(f"parametrize {names}: {len(values)} values in set {i}")
            if pid is None and ids is not None:
                pid = ids(values[0]) if callable(ids) else (ids[i] if i < len(ids) else None)
            if pid is None:
                pid = "-".join(_param_id(v, n, i) for v, n in zip(values, names))
            axis.append((str(pid), dict(zip(names, values)), list(extra)))
        axes.append(axis)
    if not axes:
        return [("", {}, [])]
    out = []
    for combo in itertools.product(*axes):
        ids = "-".join(c[0] for c in combo)
        params, extra = {}, []
        for _, p, e in combo:
            params.update(p)
            extra.extend(e)
        out.append((ids, params, extra))
    return out


def _fixture_defs(namespace):
    defs = {}
    values = namespace.values() if hasattr(namespace, "values") else vars(namespace).values()
    for value in list(values):
        fdef = getattr(value, "_tamma_fixture", None)
        if isinstance(fdef, pytest.FixtureDef):
            defs[fdef.name] = fdef
    return defs


BUILTIN_FIXTURES = ("tmp_path", "tmpdir", "capsys", "capfd", "monkeypatch", "request",
                    "tmp_path_factory")


def _arg_names(func):
    try:
        sig = inspect.signature(func)
    except (TypeError, ValueError):
        return []
    return [p.name for p in sig.parameters.values()
            if p.default is inspect.Parameter.empty
            and p.kind in (p.POSITIONAL_OR_KEYWORD, p.KEYWORD_ONLY)]


def _fixture_closure(names, defs, params):
    """Fixture names reachable from `names` (parametrize arguments shadow fixtures)."""
    seen, stack = [], list(names)
    while stack:
        name = stack.pop()
        if name in seen or name in params:
            continue
        seen.append(name)
        if name in defs:
            stack.extend(_arg_names(defs[name].func))
    return seen


class Item:
    def __init__(self, name, func, cls, params, marks, fixture_params):
        self.name, self.func, self.cls, self.params = name, func, cls, params
        self.marks, self.fixture_params = marks, fixture_params


def collect(module):
    items = []
    mod_defs = _fixture_defs(module)

    def add(name, func, cls, cls_marks, defs):
        marks = _marks(func) + cls_marks
        for suffix, params, extra in _expand_parametrize(marks):
            needed = _fixture_closure(_arg_names(func) + [d.name for d in defs.values() if
                                                          d.autouse], defs, params)
            fparam_axes = [[(fname, i, v) for i, v in enumerate(defs[fname].params)]
                           for fname in needed if fname in defs and defs[fname].params is not None]
            for combo in itertools.product(*fparam_axes) if fparam_axes else [()]:
                ids = [suffix] if suffix else []
                ids += [_param_id(v, f, i) for f, i, v in combo]
                full = f"{name}[{'-'.join(ids)}]" if ids else name
                items.append(Item(full, func, cls, params, marks + extra,
                                  {f: v for f, _, v in combo}))

    for name, obj in list(vars(module).items()):
        if name.startswith("test") and inspect.isfunction(obj):
            add(name, obj, None, [], mod_defs)
        elif name.startswith("Test") and inspect.isclass(obj):
            import unittest

            if issubclass(obj, unittest.TestCase):
                for meth in unittest.TestLoader().getTestCaseNames(obj):
                    items.append(Item(f"{name}::{meth}", None, obj, {}, [], {}))
                continue
            if "__init__" in vars(obj):
                continue  # pytest skips such classes too
            cls_defs = {**mod_defs, **_fixture_defs(vars(obj))}
            for mname in dir(obj):
                if mname.startswith("test") and callable(getattr(obj, mname, None)):
                    add(f"{name}::{mname}", getattr(obj, mname), obj, _marks(obj), cls_defs)
    return items


# ------------------------------------------------------------------ running

def _skip_reason(marks):
    for mark in marks:
        if mark.name == "skip":
            return mark.kwargs.get("reason") or (mark.args[0] if mark.args else "skipped")
        if mark.name == "skipif":
            cond = mark.args[0] if mark.args else mark.kwargs.get("condition", False)
            if cond:
                return mark.kwargs.get("reason", "skipif")
    return None


def _xfail(marks):
    for mark in marks:
        if mark.name == "xfail":
            cond = mark.args[0] if mark.args else mark.kwargs.get("condition", True)
            if cond:
                return mark
    return None


def _run_unittest(item):
    import unittest

    case = item.cls(item.name.split("::")[1])
    result = unittest.TestResult()
    case.run(result)
    if result.errors:
        return "failed", _short(result.errors[0][1].strip().splitlines()[-1])
    if result.failures:
        return "failed", _short(result.failures[0][1].strip().splitlines()[-1])
    if result.skipped:
        return "skipped", _short(result.skipped[0][1])
    return "passed", ""


def run_item(item, module, test_path, tmp_root, counter):
    if item.func is None:
        return _run_unittest(item)
    reason = _skip_reason(item.marks)
    if reason is not None:
        return "skipped", _short(reason)
    instance = item.cls() if item.cls is not None else None
    func = getattr(instance, item.func.__name__) if instance is not None else item.func
    defs = _fixture_defs(module)
    if item.cls is not None:
        defs.update(_fixture_defs(vars(item.cls)))
    teardowns, cache, closers = [], {}, []

    def resolve(name, stack=()):
        if name in item.params:
            return item.params[name]
        if name in cache:
            return cache[name]
        if name in stack:
            raise RuntimeError(f"fixture cycle: {' -> '.join(stack + (name,))}")
        if name in defs:
            fdef = defs[name]
            fn = fdef.func
            if instance is not None and name in _fixture_defs(vars(item.cls)):
                fn = getattr(instance, fn.__name__)
            kwargs = {}
            for arg in _arg_names(fn):
                if arg == "request":
                    kwargs[arg] = Request(item.name, item.fixture_params.get(name, _NOTSET))
                else:
                    kwargs[arg] = resolve(arg, stack + (name,))
            value = fn(**kwargs)
            if inspect.isgenerator(value):
                gen = value
                value = next(gen)
                teardowns.append(gen)
            cache[name] = value
            return value
        if name in ("tmp_path", "tmpdir"):
            counter[0] += 1
            path = Path(tmp_root) / f"t{counter[0]}"
            path.mkdir()
            value = path if name == "tmp_path" else str(path)
        elif name in ("capsys", "capfd"):
            value = CapSys()
            closers.append(value.close)
        elif name == "monkeypatch":
            value = MonkeyPatch()
            closers.append(value.undo)
        elif name == "request":
            value = Request(item.name)
        elif name == "tmp_path_factory":
            value = types.SimpleNamespace(
                mktemp=lambda base, numbered=True: Path(tempfile.mkdtemp(prefix=base,
                                                                         dir=tmp_root)))
        else:
            raise LookupError(f"fixture {name!r} not found")
        cache[name] = value
        return value

    outcome, message = "passed", ""
    try:
        if instance is not None and hasattr(instance, "setup_method"):
            instance.setup_method(func)
        names = [d.name for d in defs.values() if d.autouse] + _arg_names(func)
        kwargs = {}
        for name in names:
            value = resolve(name)
            if name in _arg_names(func):
                kwargs[name] = value
    except TestTimeout:
        outcome, message = "failed", "timed out"
    except pytest.Skipped as exc:
        outcome, message = "skipped", _short(exc.msg)
    except BaseException as exc:  # noqa: BLE001 - a broken fixture is an error, not a crash
        outcome, message = "error", "fixture setup: " + _describe(exc, test_path)
    else:
        try:
            func(**kwargs)
        except TestTimeout:
            outcome, message = "failed", "timed out"
        except pytest.Skipped as exc:
            outcome, message = "skipped", _short(exc.msg)
        except pytest.XFailed as exc:
            outcome, message = "xfailed", _short(exc.msg)
        except BaseException as exc:  # noqa: BLE001 - SystemExit from tested code is a failure
            outcome, message = "failed", _describe(exc, test_path)
    for gen in reversed(teardowns):
        try:
            next(gen)
        except StopIteration:
            pass
        except BaseException as exc:  # noqa: BLE001
            if outcome == "passed":
                outcome, message = "error", "fixture teardown: " + _describe(exc, test_path)
    for close in reversed(closers):
        close()
    if instance is not None and hasattr(instance, "teardown_method"):
        try:
            instance.teardown_method(func)
        except BaseException as exc:  # noqa: BLE001
            if outcome == "passed":
                outcome, message = "error", "teardown_method: " + _describe(exc, test_path)
    mark = _xfail(item.marks)
    if mark is not None:
        if outcome == "failed":
            outcome, message = "xfailed", message
        elif outcome == "passed" and mark.kwargs.get("strict"):
            outcome, message = "failed", "XPASS(strict)"
    return outcome, message


def _on_alarm(signum, frame):
    raise TestTimeout()


def run_variant(test_file, per_test_timeout, emit):
    """In the forked child, cwd = the variant directory."""
    here = os.getcwd()
    sys.path.insert(0, here)
    tmp_root = tempfile.mkdtemp(prefix="tmp_path-", dir=os.environ.get("TMPDIR") or here)
    test_path = os.path.join(here, test_file)
    signal.signal(signal.SIGALRM, _on_alarm)
    try:
        signal.setitimer(signal.ITIMER_REAL, per_test_timeout * 5)
        spec_name = Path(test_file).stem
        module = types.ModuleType(spec_name)
        module.__file__ = test_path
        sys.modules[spec_name] = module
        with open(test_path, encoding="utf-8") as fh:
            code = compile(fh.read(), test_path, "exec")
        exec(code, module.__dict__)
        items = collect(module)
        signal.setitimer(signal.ITIMER_REAL, 0)
    except BaseException as exc:  # noqa: BLE001 - import errors decide the grade, not crash it
        signal.setitimer(signal.ITIMER_REAL, 0)
        text = "timed out while importing" if isinstance(exc, TestTimeout) else _short(
            "".join(traceback.format_exception_only(type(exc), exc)).strip())
        emit({"t": "collect_error", "message": text})
        return
    if hasattr(module, "setup_module"):
        try:
            module.setup_module()
        except BaseException as exc:  # noqa: BLE001
            emit({"t": "collect_error", "message": "setup_module: " + _describe(exc, test_path)})
            return
    emit({"t": "collected", "count": len(items)})
    counter = [0]
    for item in items:
        started = time.perf_counter()
        signal.setitimer(signal.ITIMER_REAL, per_test_timeout)
        try:
            outcome, message = run_item(item, module, test_path, tmp_root, counter)
        except TestTimeout:
            outcome, message = "failed", "timed out"
        finally:
            signal.setitimer(signal.ITIMER_REAL, 0)
        if outcome == "failed" and message == "timed out":
            message = f"timed out after {per_test_timeout:g}s"
        emit({"t": "test", "name": item.name, "outcome": outcome, "message": message,
              "duration_s": round(time.perf_counter() - started, 4)})


def _child(variant_dir, test_file, per_test_timeout, wfd):
    # Tested code must not write into the result channel's stdout; its prints go nowhere.
    devnull = os.open(os.devnull, os.O_WRONLY)
    os.dup2(devnull, 1)
    os.dup2(devnull, 2)
    sys.stdout = io.TextIOWrapper(os.fdopen(1, "wb", closefd=False), write_through=True)
    sys.stderr = io.TextIOWrapper(os.fdopen(2, "wb", closefd=False), write_through=True)
    out = os.fdopen(wfd, "w", buffering=1)

    def emit(record):
        out.write(json.dumps(record) + "\n")
        out.flush()

    try:
        os.chdir(variant_dir)
        run_variant(test_file, per_test_timeout, emit)
        emit({"t": "done"})
    except BaseException:  # noqa: BLE001
        pass
    os._exit(0)


def run_one(variant, test_file, per_test_timeout, variant_timeout):
    rfd, wfd = os.pipe()
    pid = os.fork()
    if pid == 0:
        os.close(rfd)
        _child(variant["dir"], test_file, per_test_timeout, wfd)
    os.close(wfd)
    buf, deadline, timed_out = b"", time.monotonic() + variant_timeout, False
    while True:
        left = deadline - time.monotonic()
        if left <= 0:
            timed_out = True
            break
        ready, _, _ = select.select([rfd], [], [], left)
        if not ready:
            continue
        chunk = os.read(rfd, 65536)
        if not chunk:
            break
        buf += chunk
        if len(buf) > 4 << 20:  # absurd amount of result data: stop listening
            break
    try:  # finished or not, the child is done for: make sure it is gone before waiting
        os.kill(pid, signal.SIGKILL)
    except OSError:
        pass
    _, status = os.waitpid(pid, 0)
    os.close(rfd)
    result = {"name": variant["name"], "tests": [], "collection_error": None,
              "timed_out": timed_out, "completed": False}
    for line in buf.decode("utf-8", "replace").splitlines():
        try:
            rec = json.loads(line)
        except ValueError:
            continue
        if rec.get("t") == "test":
            rec.pop("t")
            result["tests"].append(rec)
        elif rec.get("t") == "collect_error":
            result["collection_error"] = rec["message"]
        elif rec.get("t") == "collected":
            result["expected_total"] = int(rec["count"])
        elif rec.get("t") == "done":
            result["completed"] = True
    if not result["completed"] and not timed_out and result["collection_error"] is None:
        code = os.waitstatus_to_exitcode(status)
        result["crashed"] = f"test process died (status {code}) after {len(result['tests'])} tests"
    counts = {k: 0 for k in ("passed", "failed", "error", "skipped", "xfailed")}
    for t in result["tests"]:
        counts[t["outcome"]] = counts.get(t["outcome"], 0) + 1
    # Tests that never reported (a hang or a crash cut the run short) count as failed.
    not_run = max(0, result.get("expected_total", 0) - len(result["tests"]))
    result.update(passed=counts["passed"], failed=counts["failed"] + not_run,
                  errors=counts["error"], skipped=counts["skipped"], xfailed=counts["xfailed"],
                  not_run=not_run, total=len(result["tests"]) + not_run)
    return result


def main():
    nonce = sys.stdin.readline().strip()
    with open(sys.argv[1], encoding="utf-8") as fh:
        spec = json.load(fh)
    results = [run_one(v, spec["test_file"], float(spec.get("per_test_timeout", 2.0)),
                       float(spec.get("variant_timeout", 10.0))) for v in spec["variants"]]
    sys.stdout.write(f"TAMMA_RESULT {nonce} {json.dumps({'variants': results})}\n")
    sys.stdout.flush()


if __name__ == "__main__":
    main()
