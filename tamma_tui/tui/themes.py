"""Themes are data: YAML files in the top-level ``themes/`` folder, one theme per file.

Each file holds the fields of :class:`textual.theme.Theme` (name, primary, secondary,
accent, warning, error, success, foreground, background, surface, panel, boost, dark, ansi,
variables). The short name (``dark``) and the full name (``tamma-dark``) both select it.
"""

from __future__ import annotations

from dataclasses import fields
from pathlib import Path

import yaml
from textual.theme import Theme

from tamma_tui.config.errors import BadInput

THEME_PREFIX = "tamma-"
DEFAULT_THEME = "tamma-dark"
_FIELDS = {f.name for f in fields(Theme)}


def themes_dir() -> Path:
    """The shipped ``themes/`` folder (source tree or wheel)."""
    from tamma_tui.resources import themes_dir as shipped

    return shipped()


def load_theme_file(path: Path) -> Theme:
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, yaml.YAMLError) as exc:
        raise BadInput(f"cannot read theme: {exc}", file=path) from None
    if not isinstance(data, dict) or "name" not in data or "primary" not in data:
        raise BadInput("a theme needs at least 'name' and 'primary'", file=path)
    unknown = sorted(set(data) - _FIELDS)
    if unknown:
        raise BadInput(f"unknown theme field {unknown[0]!r}", file=path, field=unknown[0])
    variables = data.get("variables") or {}
    data["variables"] = {str(k): str(v) for k, v in variables.items()}
    return Theme(**data)


def load_themes(folder: Path | None = None) -> list[Theme]:
    folder = folder or themes_dir()
    return [load_theme_file(p) for p in sorted(folder.glob("*.yaml"))] if folder.is_dir() else []


def resolve_theme_name(name: str | None, available: list[str] | set[str]) -> str:
    """``dark`` -> ``tamma-dark``; an unknown name is bad input (exit 2)."""
    if not name:
        return DEFAULT_THEME if DEFAULT_THEME in available else sorted(available)[0]
    for candidate in (name, THEME_PREFIX + name):
        if candidate in available:
            return candidate
    names = ", ".join(sorted(n.removeprefix(THEME_PREFIX) for n in available if n.startswith(THEME_PREFIX)))
    raise BadInput(f"unknown theme {name!r}; choose one of: {names}", field="--theme")
