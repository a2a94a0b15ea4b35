"""Helpers shared by the suite loaders: typed field access with precise BadInput errors."""

from __future__ import annotations

import gzip
import json
import zlib
from pathlib import Path
from typing import Any, Iterator

from tamma_tui.config.errors import BadInput
from tamma_tui.config.loader import check_nesting
from tamma_tui.suites.model import CONTEXTS, DIFFICULTIES


def read_text(path: Path, *, field: str | None = None) -> str:
    """Read a UTF-8 text file, or fail naming it."""
    if not path.is_file():
        raise BadInput("file not found", file=path, field=field)
    try:
        return path.read_text(encoding="utf-8")
    except UnicodeDecodeError:
        raise BadInput("not a UTF-8 text file", file=path, field=field) from None


MAX_GZIP_BYTES = 256 << 20  # decompressed; a small .gz can expand without bound


def read_gzip_text(path: Path, *, limit: int | None = None) -> str:
    """Read a gzip-compressed UTF-8 text file (decompressed size capped), or fail naming it."""
    limit = MAX_GZIP_BYTES if limit is None else limit
    if not path.is_file():
        raise BadInput("file not found", file=path)
    try:
        with gzip.open(path, "rb") as fh:
            data = fh.read(limit + 1)
    except (OSError, EOFError, zlib.error) as exc:
        raise BadInput(f"not a readable gzip file ({exc})", file=path) from None
    if len(data) > limit:
        raise BadInput(f"decompresses to more than {limit >> 20} MiB", file=path)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        raise BadInput("not UTF-8 text inside the gzip file", file=path) from None


def is_jsonl(path: Path) -> bool:
    return path.name.endswith((".jsonl", ".jsonl.gz"))


def jsonl_stem(path: Path) -> str:
    """'tasks' for tasks.jsonl and tasks.jsonl.gz."""
    return path.name.removesuffix(".gz").removesuffix(".jsonl")


def iter_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """Yield (line number, object) for each non-blank line; comments start with '#'.
    ``.jsonl.gz`` files are decompressed first."""
    text = read_gzip_text(path) if path.name.endswith(".gz") else read_text(path)
    for number, line in enumerate(text.splitlines(), start=1):
        stripped = line.strip()
        if not stripped or stripped.startswith("#"):
            continue
        try:
            obj = json.loads(stripped)
        except json.JSONDecodeError as exc:
            raise BadInput(f"malformed JSON: {exc.msg} (column {exc.colno})", file=path,
                           field=f"line {number}") from None
        except RecursionError:
            raise BadInput("nested too deeply", file=path, field=f"line {number}") from None
        check_nesting(obj, path)
        if not isinstance(obj, dict):
            raise BadInput(f"expected a JSON object, got {type(obj).__name__}", file=path,
                           field=f"line {number}")
        yield number, obj


class Fields:
    """Typed access to one record (a task.yaml mapping or a JSONL object) that names the
    file and the record's location in every error."""

    def __init__(self, data: dict[str, Any], file: Path, where: str = ""):
        self.data = data
        self.file = file
        self.where = where

    def _field(self, name: str) -> str:
        return f"{self.where}: {name}" if self.where else name

    def fail(self, name: str, reason: str) -> BadInput:
        return BadInput(reason, file=self.file, field=self._field(name))

    def only(self, allowed: tuple[str, ...], name: str = "") -> None:
        """Reject keys outside ``allowed`` (typos such as 'difficuly' would otherwise be
        silently ignored)."""
        for key in self.data:
            if key not in allowed:
                field = f"{name}.{key}" if name else str(key)
                raise self.fail(field, f"unknown field; expected one of {', '.join(allowed)}")

    def string(self, name: str, default: str | None = None, *, allow_empty: bool = False) -> str:
        value = self.data.get(name)
        if value is None:
            if default is not None:
                return default
            raise self.fail(name, "required field is missing")
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            value = str(value)  # ids such as 12 are fine
        if not isinstance(value, str):
            raise self.fail(name, f"must be a string, got {type(value).__name__}")
        if not allow_empty and not value.strip():
            raise self.fail(name, "must not be empty")
        return value

    def choice(self, name: str, choices: tuple[str, ...], default: str | None = None) -> str:
        value = self.string(name, default)
        if value not in choices:
            raise self.fail(name, f"must be one of {', '.join(choices)}, got {value!r}")
        return value

    def context(self) -> str:
        return self.choice("context", CONTEXTS)

    def difficulty(self) -> str:
        return self.choice("difficulty", DIFFICULTIES, "medium")

    def number(self, name: str, default: float, low: float = 0.0, high: float = 1.0) -> float:
        value = self.data.get(name, default)
        if isinstance(value, bool) or not isinstance(value, (int, float)):
            raise self.fail(name, f"must be a number, got {type(value).__name__}")
        if not low <= value <= high:
            raise self.fail(name, f"must be between {low:g} and {high:g}, got {value:g}")
        return float(value)
