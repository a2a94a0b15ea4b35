"""Where this install keeps its sharing state, and how private files are written.

Everything here is 0600 in a 0700 folder: the install secret, the signing key, the consent
record, the queue of bundles waiting to be sent and the local sharing log.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

ENV_DIR = "TAMMA_BENCH_SHARING_DIR"
ENV_KILL_SWITCH = "TAMMA_BENCH_NO_SHARE"


def sharing_dir() -> Path:
    raw = os.environ.get(ENV_DIR)
    if raw:
        path = Path(raw).expanduser()
    else:
        from platformdirs import user_config_dir

        path = Path(user_config_dir("tamma-bench", appauthor=False)) / "sharing"
    path.mkdir(parents=True, exist_ok=True, mode=0o700)
    return path


def kill_switch_on() -> bool:
    return os.environ.get(ENV_KILL_SWITCH, "").strip().lower() not in ("", "0", "false", "no")


def write_private(path: Path, data: bytes) -> None:
    """Write atomically with mode 0600 from the first byte (never briefly world-readable)."""
    path.parent.mkdir(parents=True, exist_ok=True, mode=0o700)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.")
    try:
        os.fchmod(fd, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def append_private(path: Path, line: bytes) -> None:
    fd = os.open(path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o600)
    try:
        os.write(fd, line)
    finally:
        os.close(fd)
