"""Install theme packages that site owners upload to the site builder.

A theme package is a zip file with a ``theme.json`` manifest and a ``templates/``
folder. Packages come from untrusted users.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import zipfile
from pathlib import Path

THEMES_DIR = Path("/var/lib/sitebuilder/themes")
MAX_THEME_BYTES = 20 * 1024 * 1024
REQUIRED_MEMBERS = {"theme.json", "templates/base.html"}


class ThemeError(Exception):
    """The upload is not an acceptable theme; the message is shown to the user."""


def _read_manifest(archive: zipfile.ZipFile) -> dict:
    try:
        manifest = json.loads(archive.read("theme.json"))
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise ThemeError(f"theme.json is not valid JSON: {exc}") from None
    name = manifest.get("name", "")
    if not isinstance(name, str) or not name.isidentifier():
        raise ThemeError("theme name must be a simple identifier")
    return manifest


def install_theme(site_id: int, upload_path: Path) -> str:
    """Unpack ``upload_path`` into THEMES_DIR/<site_id>/<name>; return the theme name."""
    if upload_path.stat().st_size > MAX_THEME_BYTES:
        raise ThemeError("theme package is larger than 20 MB")

    staging = Path(tempfile.mkdtemp(prefix="theme-"))
    with zipfile.ZipFile(upload_path) as archive:
        missing = REQUIRED_MEMBERS - set(archive.namelist())
        if missing:
            raise ThemeError(f"missing files: {', '.join(sorted(missing))}")
        manifest = _read_manifest(archive)

        for member in archive.infolist():
            target = staging / member.filename
            if member.is_dir():
                target.mkdir(parents=True, exist_ok=True)
                continue
            target.parent.mkdir(parents=True, exist_ok=True)
            with archive.open(member) as src, open(target, "wb") as dst:
                shutil.copyfileobj(src, dst)

    destination = THEMES_DIR / str(site_id) / manifest["name"]
    destination.parent.mkdir(parents=True, exist_ok=True)
    if destination.exists():
        shutil.rmtree(destination)
    shutil.move(str(staging), destination)
    return manifest["name"]
