"""Built-in fixtures of the in-sandbox test runner: capsys and monkeypatch.

Their own module (``_tamma_fixtures`` in the workspace) so that the pytest stand-in can
export the same classes under pytest's names without the runner patching them into it.
Stdlib only, cheap imports: this loads once per grade.
"""

import io
import os
import sys


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
        if isinstance(target, type):
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
