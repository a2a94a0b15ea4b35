"""The one error type for bad user input: it names the file, the field and the reason."""

from __future__ import annotations

from pathlib import Path


class BadInput(Exception):
    """Raised for any user-supplied input that cannot be used (exit status 2).

    Rendered as one line: ``FILE: FIELD: REASON`` (file and field are left out when unknown).
    """

    def __init__(self, reason: str, *, file: str | Path | None = None, field: str | None = None):
        self.reason = reason
        self.file = str(file) if file is not None else None
        self.field = field
        super().__init__(str(self))

    def __str__(self) -> str:
        parts = [p for p in (self.file, self.field, self.reason) if p]
        return ": ".join(parts)
