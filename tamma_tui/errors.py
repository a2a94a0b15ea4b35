"""The one error tree. Services and lower layers raise these; only ``cli.py`` turns one
into an exit status (``TammaError.exit_code``), and the app shows ``str(error)``.

    TammaError
    ├── BadInput            user input that cannot be used: FILE: FIELD: REASON   (exit 2)
    │   ├── StoreError      a database that cannot be opened, read or written    (exit 2)
    │   ├── DriftError      a config store moved since a change was proposed     (exit 2)
    │   └── Refused         a state transition or gate that is not allowed        (exit 2)
    └── OperationFailed     the work ran but failed (a gate, a verification)     (exit 1)

Messages never contain secrets: callers redact before raising.
"""

from __future__ import annotations

from pathlib import Path

from tamma_tui.vocabulary import ExitCode


class TammaError(Exception):
    exit_code: int = ExitCode.FAILED


class BadInput(TammaError):
    """Any user-supplied input that cannot be used (exit status 2).

    Rendered as one line: ``FILE: FIELD: REASON`` (file and field are left out when unknown).
    """

    exit_code = ExitCode.BAD_INPUT

    def __init__(self, reason: str, *, file: str | Path | None = None, field: str | None = None):
        self.reason = reason
        self.file = str(file) if file is not None else None
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.field, self.reason) if p]
        return ": ".join(parts)


class StoreError(BadInput):
    """The database (or a config store) cannot be opened, read or written."""


class DriftError(BadInput):
    """A config store's live document changed since the change was based on it."""


class Refused(BadInput):
    """A request that is well-formed but not allowed now (wrong state, no consent, ...)."""


class OperationFailed(TammaError):
    """The operation ran and failed; the message says why (exit status 1)."""

    exit_code = ExitCode.FAILED
