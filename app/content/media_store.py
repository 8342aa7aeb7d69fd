"""Media files on disk follow the database: staged during a transaction, kept only on commit.

A media file is written to `<media folder>/.staging/` and named in the session; when the
session commits, the file is moved into the media folder (an atomic rename on the same disk);
when the transaction ends any other way (refused import, rollback, a closed session) the staged
file is deleted. A process killed in between leaves at most a staged file, which
`flask content check-media` reports and can remove; it also reports rows whose file is missing.
"""

from __future__ import annotations

import logging
import os
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import event, select
from sqlalchemy.orm import Session, SessionTransaction

from app.content.models import MediaFile

log = logging.getLogger(__name__)

STAGING_FOLDER = ".staging"
_PENDING = "content_staged_media"
# A staged file this recent may belong to a transaction still running in another process.
STAGING_GRACE = timedelta(hours=1)


def stage_media_file(session: Session, folder: Path, data: bytes, extension: str) -> str:
    """Write a new media file under a generated name, to appear in `folder` only on commit."""
    staging = folder / STAGING_FOLDER
    staging.mkdir(parents=True, exist_ok=True)
    name = f"{secrets.token_hex(16)}.{extension}"
    with open(staging / name, "xb") as handle:  # "x": a generated name never overwrites a file
        handle.write(data)
    session.info.setdefault(_PENDING, []).append((folder, name))
    return name


def staged_path(folder: Path, stored_name: str) -> Path:
    """Where a file of this name waits while its transaction is open."""
    return folder / STAGING_FOLDER / stored_name


@event.listens_for(Session, "after_commit")
def _publish_staged(session: Session) -> None:
    """Move the files of a committed transaction into place."""
    for folder, name in session.info.pop(_PENDING, []):
        try:
            os.replace(staged_path(folder, name), folder / name)
        except OSError:
            # The row is committed: leave the file staged, check-media --repair moves it.
            log.exception("media file %s stayed in the staging folder", name)


@event.listens_for(Session, "after_transaction_end")
def _discard_staged(session: Session, transaction: SessionTransaction) -> None:
    """Delete the staged files of a transaction that ended without commit."""
    if transaction.parent is not None:
        return
    for folder, name in session.info.pop(_PENDING, []):
        staged_path(folder, name).unlink(missing_ok=True)


# --- The check --------------------------------------------------------------------------------


@dataclass
class MediaCheck:
    """Files without rows, rows without files, and committed files still in staging."""

    orphan_files: list[Path] = field(default_factory=list)
    recent_staged: list[Path] = field(default_factory=list)
    missing_files: list[MediaFile] = field(default_factory=list)
    stranded: list[MediaFile] = field(default_factory=list)

    @property
    def is_clean(self) -> bool:
        """Tell whether files and rows agree (recent staged files do not count)."""
        return not (self.orphan_files or self.missing_files or self.stranded)


def check_media(session: Session, folder: Path, *, now: datetime) -> MediaCheck:
    """Compare the media folder with the media rows, without changing anything."""
    named = set(session.scalars(select(MediaFile.stored_name)).all())
    result = MediaCheck()
    on_disk = {p.name for p in folder.iterdir() if p.is_file()} if folder.is_dir() else set()
    result.orphan_files = sorted(folder / name for name in on_disk - named)
    staging = folder / STAGING_FOLDER
    staged = {p.name: p for p in staging.iterdir() if p.is_file()} if staging.is_dir() else {}
    for name, path in sorted(staged.items()):
        if name in named:
            continue
        modified = datetime.fromtimestamp(path.stat().st_mtime, tz=now.tzinfo)
        if now - modified < STAGING_GRACE:
            result.recent_staged.append(path)
        else:
            result.orphan_files.append(path)
    seen: set[str] = set()
    for media in session.scalars(select(MediaFile).order_by(MediaFile.id)):
        # Identical bytes of one module share a stored file: judge each file once.
        if media.stored_name in on_disk or media.stored_name in seen:
            continue
        seen.add(media.stored_name)
        if media.stored_name in staged:
            result.stranded.append(media)
        else:
            result.missing_files.append(media)
    return result


def repair_media(
    check: MediaCheck, folder: Path, *, remove_orphans: bool, move_stranded: bool = True
) -> tuple[int, int]:
    """Move stranded staged files into place; with `remove_orphans`, delete files no row names.

    Returns (files moved, files removed). Rows without any file are only reported: the
    file is gone and only a new import or upload can bring it back.
    """
    moved = removed = 0
    for media in check.stranded if move_stranded else ():
        os.replace(staged_path(folder, media.stored_name), folder / media.stored_name)
        moved += 1
    if remove_orphans:
        for path in check.orphan_files:
            path.unlink(missing_ok=True)
            removed += 1
    return moved, removed
