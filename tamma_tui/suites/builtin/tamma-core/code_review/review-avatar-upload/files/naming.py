"""File-name rules shared by every upload endpoint."""

from __future__ import annotations

import re
import unicodedata

# Word characters, dots and dashes only: no path separators, no spaces.
SAFE_NAME_RE = re.compile(r"[\w.-]+")
MAX_NAME_LENGTH = 120
ALLOWED_EXTENSIONS = {".png", ".jpg", ".jpeg", ".webp"}


class BadFileName(ValueError):
    """The client sent a name we refuse to store."""


def normalise_name(name: str) -> str:
    """NFC-normalise and trim a client-supplied file name."""
    return unicodedata.normalize("NFC", name).strip()


def check_name(name: str) -> str:
    """Return ``name`` if it is safe to use as a file name inside an upload folder."""
    name = normalise_name(name)
    if not name or len(name) > MAX_NAME_LENGTH:
        raise BadFileName("file name is empty or too long")
    if not SAFE_NAME_RE.match(name):
        raise BadFileName("file name contains characters that are not allowed")
    extension = "." + name.rsplit(".", 1)[-1].lower() if "." in name else ""
    if extension not in ALLOWED_EXTENSIONS:
        raise BadFileName(f"only {', '.join(sorted(ALLOWED_EXTENSIONS))} files are accepted")
    return name
