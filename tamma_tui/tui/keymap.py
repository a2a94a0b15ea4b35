"""Keymap files: YAML mappings from a binding id to the key(s) that trigger it.

    # ~/.config/tamma-bench/keymap.yaml
    go.home: h
    run.cancel: ctrl+x
    table.down: down,j

Every binding in the app has an id (``App.set_keymap`` does the remapping); an id that
does not exist is reported, because a silently ignored remap is worse than none.
"""

from __future__ import annotations

import os
from pathlib import Path

import yaml

from tamma_tui.config.errors import BadInput

ENV_VAR = "TAMMA_BENCH_KEYMAP"


def default_keymap_path() -> Path:
    from platformdirs import user_config_dir

    return Path(user_config_dir("tamma-bench", appauthor=False)) / "keymap.yaml"


def load_keymap(path: str | Path, known_ids: set[str] | None = None) -> dict[str, str]:
    p = Path(path)
    try:
        data = yaml.safe_load(p.read_text(encoding="utf-8")) or {}
    except FileNotFoundError:
        raise BadInput("file not found", file=p) from None
    except (OSError, yaml.YAMLError) as exc:
        raise BadInput(f"cannot read keymap: {str(exc).splitlines()[0]}", file=p) from None
    if not isinstance(data, dict):
        raise BadInput("expected a mapping of binding id to keys", file=p)
    keymap: dict[str, str] = {}
    for binding_id, keys in data.items():
        if isinstance(keys, list):
            keys = ",".join(str(k) for k in keys)
        if not isinstance(keys, str) or not keys.strip():
            raise BadInput("keys must be a string such as 'ctrl+x' or 'j,down'", file=p, field=str(binding_id))
        if known_ids is not None and binding_id not in known_ids:
            raise BadInput("unknown binding id (press F1 in the app to see them)", file=p, field=str(binding_id))
        keymap[str(binding_id)] = keys.replace(" ", "")
    return keymap


def find_keymap(explicit: str | Path | None, known_ids: set[str]) -> dict[str, str]:
    """``--keymap`` beats ``$TAMMA_BENCH_KEYMAP`` beats the user config file (if present)."""
    if explicit:
        return load_keymap(explicit, known_ids)
    env = os.environ.get(ENV_VAR)
    if env:
        return load_keymap(env, known_ids)
    default = default_keymap_path()
    return load_keymap(default, known_ids) if default.is_file() else {}
