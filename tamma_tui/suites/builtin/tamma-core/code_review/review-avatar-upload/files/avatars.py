"""Avatar upload endpoint for the community forum.

Avatars are stored under AVATAR_ROOT/<user_id>/ and served by the static file
server. The forum has a few hundred thousand members; uploads larger than
MAX_AVATAR_BYTES are refused.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

from naming import BadFileName, check_name

AVATAR_ROOT = Path("/srv/forum/avatars")
MAX_AVATAR_BYTES = 2 * 1024 * 1024


class UploadRejected(Exception):
    def __init__(self, status: int, message: str) -> None:
        super().__init__(message)
        self.status = status


def save_avatar(user_id: int, client_name: str, stream) -> Path:
    """Store an uploaded avatar and return its path.

    ``stream`` is the request body (a file-like object with ``read``).
    """
    try:
        name = check_name(client_name)
    except BadFileName as exc:
        raise UploadRejected(400, str(exc)) from None

    data = stream.read()
    if len(data) > MAX_AVATAR_BYTES:
        raise UploadRejected(413, "avatar is larger than 2 MB")

    folder = AVATAR_ROOT / str(user_id)
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name

    fd, tmp_name = tempfile.mkstemp(dir=folder, suffix=".part")
    with os.fdopen(fd, "wb") as tmp:
        tmp.write(data)
    os.replace(tmp_name, target)
    return target


def current_avatar(user_id: int) -> Path | None:
    """Most recent avatar of a user, or None."""
    folder = AVATAR_ROOT / str(user_id)
    if not folder.is_dir():
        return None
    candidates = [p for p in folder.iterdir() if not p.name.endswith(".part")]
    return max(candidates, key=lambda p: p.stat().st_mtime, default=None)
