"""Uploaded packages waiting between upload and confirmation, under a random token."""

from __future__ import annotations

import re
import secrets
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from app.i18n.markers import N_
from app.module_packages.package_format.manifest import (
    refuse,
)

PENDING_FOLDER = "module_packages"
PENDING_LIFETIME = timedelta(days=1)
_TOKEN_RE = re.compile(r"^[0-9a-f]{32}$")


def pending_folder(upload_path: str | Path) -> Path:
    """Where uploaded packages wait for their confirmation (beside the media store)."""
    return Path(upload_path) / PENDING_FOLDER


def pending_path(folder: Path, token: str) -> Path | None:
    """The waiting package of a token, or None when the token is malformed or the file gone."""
    if not isinstance(token, str) or not _TOKEN_RE.match(token):
        return None
    path = folder / f"{token}.zip"
    return path if path.is_file() else None


def keep_pending(
    folder: Path, stream: Any, *, limit: int, now: datetime, label: str = "package.zip"
) -> str:
    """Store an uploaded package under a random name; refuse it unread beyond `limit` bytes."""
    folder.mkdir(parents=True, exist_ok=True)
    discard_stale_pending(folder, now=now)
    token = secrets.token_hex(16)
    path = folder / f"{token}.zip"
    size = 0
    with open(path, "xb") as handle:
        while chunk := stream.read(1 << 16):
            size += len(chunk)
            if size > limit:
                handle.close()
                path.unlink(missing_ok=True)
                raise refuse(
                    label,
                    N_("the package is too large (more than %(max)d bytes)"),
                    max=limit,
                )
            handle.write(chunk)
    return token


def discard_pending(folder: Path, token: str | None) -> None:
    """Delete a waiting package (after its import, or when the trainer cancels)."""
    path = pending_path(folder, token or "")
    if path is not None:
        path.unlink(missing_ok=True)


def discard_stale_pending(folder: Path, *, now: datetime) -> int:
    """Delete packages that waited longer than a day for a confirmation; return how many."""
    removed = 0
    if not folder.is_dir():
        return 0
    for path in folder.glob("*.zip"):
        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=now.tzinfo)
        if now - modified > PENDING_LIFETIME:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
