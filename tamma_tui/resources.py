"""Where the shipped data folders are: the source tree, or inside the installed wheel."""

from __future__ import annotations

from pathlib import Path

_PACKAGE = Path(__file__).resolve().parent


def data_dir(name: str) -> Path:
    """``themes`` or ``sample_configs``: the repository copy in a source checkout or
    editable install, else the copy the wheel carries in ``tamma_tui/_data``."""
    for candidate in (_PACKAGE.parent / name, _PACKAGE / "_data" / name):
        if candidate.is_dir():
            return candidate
    raise FileNotFoundError(f"tamma-bench data folder {name!r} is missing from this installation")


def sample_configs_dir() -> Path:
    return data_dir("sample_configs")


def themes_dir() -> Path:
    return data_dir("themes")
