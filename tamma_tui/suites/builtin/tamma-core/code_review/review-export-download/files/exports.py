"""Let logged-in users download the report exports generated for them."""

from __future__ import annotations

import mimetypes
from dataclasses import dataclass, field
from http import HTTPStatus
from pathlib import Path

EXPORT_ROOT = Path("/srv/reports/exports")
CHUNK_SIZE = 64 * 1024


@dataclass
class Request:
    user_id: str
    query: dict[str, str]


@dataclass
class Response:
    status: HTTPStatus
    body: bytes = b""
    headers: dict[str, str] = field(default_factory=dict)


def export_path(user_id: str, filename: str) -> Path:
    """Exports live in one folder per user: EXPORT_ROOT/<user_id>/<filename>."""
    return EXPORT_ROOT / user_id / filename


def download_export(request: Request) -> Response:
    filename = request.query.get("file", "").strip()
    if not filename:
        return Response(HTTPStatus.BAD_REQUEST, b"missing 'file' parameter")

    path = export_path(request.user_id, filename)
    if not path.is_file():
        return Response(HTTPStatus.NOT_FOUND, b"no such export")

    body = path.read_bytes()
    content_type = mimetypes.guess_type(path.name)[0] or "application/octet-stream"
    return Response(
        HTTPStatus.OK,
        body,
        {
            "Content-Type": content_type,
            "Content-Length": str(len(body)),
            "Content-Disposition": f'attachment; filename="{path.name}"',
        },
    )


def list_exports(user_id: str) -> list[str]:
    """Names shown on the 'My exports' page, newest first."""
    folder = EXPORT_ROOT / user_id
    if not folder.is_dir():
        return []
    files = [p for p in folder.iterdir() if p.is_file()]
    files.sort(key=lambda p: p.stat().st_mtime, reverse=True)
    return [p.name for p in files]
