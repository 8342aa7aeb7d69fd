"""Module media files: where they are kept, storing an import's files, accepting uploads.

Files are kept under generated names in the upload store (`media_folder`); identical bytes are
stored once per module. Every function adds and flushes; the caller commits once.
"""

from __future__ import annotations

import hashlib
import re
import unicodedata
from collections.abc import Iterable, Mapping
from datetime import datetime
from pathlib import Path, PurePosixPath

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.media_store import stage_media_file
from app.content.media_types import MediaType, sniff_media
from app.content.models import MediaFile, Module, ModuleStatus, VersionMedia
from app.content.operations import ContentError

MEDIA_SUBFOLDER = "content"


class MediaRefused(ContentError):
    """An uploaded file is not accepted (type or size); the message is for the form field."""


# --- Where media files are kept and served -------------------------------------------------


def media_folder(upload_path: str | Path | None = None) -> Path:
    """The folder of the upload store that keeps module media (created on demand)."""
    root = Path(upload_path or current_app.config["UPLOAD_PATH"]) / MEDIA_SUBFOLDER
    root.mkdir(parents=True, exist_ok=True)
    return root


def media_href(media: MediaFile) -> str:
    """The URL path that serves a media file (stored in rendered HTML, so no host name)."""
    adapter = current_app.url_map.bind(
        "localhost", script_name=current_app.config.get("APPLICATION_ROOT") or "/"
    )
    return adapter.build(
        "content.media",
        {"media_id": media.id, "name": PurePosixPath(media.original_name).name},
    )


def store_media(
    session: Session,
    module: Module,
    *,
    data: bytes,
    path: str,
    folder: Path,
    now: datetime,
) -> MediaFile:
    """Keep a media file of a module under a generated name; identical files are stored once."""
    media_type = sniff_media(data)
    if media_type is None:
        raise MediaRefused(
            _("This file type is not accepted (only png, jpg, gif, webp, mp4, webm and pdf).")
        )
    digest = hashlib.sha256(data).hexdigest()
    existing = session.scalar(
        select(MediaFile).where(
            MediaFile.module_id == module.id,
            MediaFile.original_name == path,
            MediaFile.sha256 == digest,
        )
    )
    if existing is not None:
        return existing
    same_bytes = session.scalar(
        select(MediaFile).where(MediaFile.module_id == module.id, MediaFile.sha256 == digest)
    )
    if same_bytes is not None and (folder / same_bytes.stored_name).exists():
        stored_name = same_bytes.stored_name
    else:
        # Staged: the file appears in the folder only if this transaction commits.
        stored_name = stage_media_file(session, folder, data, media_type.extension)
    media = MediaFile(
        module_id=module.id,
        sha256=digest,
        stored_name=stored_name,
        original_name=path,
        mime=media_type.mime,
        size=len(data),
        created_at=now,
    )
    session.add(media)
    session.flush()
    return media


_UNSAFE_NAME_RE = re.compile(r"[^a-z0-9]+")


def media_path_for_upload(filename: str, media_type: MediaType, taken: Iterable[str]) -> str:
    """A tidy path for an uploaded file, like `media/login-page.png` (extension from content)."""
    stem = PurePosixPath((filename or "").replace("\\", "/")).stem
    folded = unicodedata.normalize("NFKD", stem).encode("ascii", "ignore").decode().lower()
    slug = _UNSAFE_NAME_RE.sub("-", folded).strip("-")[:60] or media_type.kind
    taken = set(taken)
    candidate, n = f"media/{slug}.{media_type.extension}", 2
    while candidate in taken:
        candidate, n = f"media/{slug}-{n}.{media_type.extension}", n + 1
    return candidate


def upload_media(
    session: Session,
    module: Module,
    *,
    data: bytes,
    filename: str,
    limits: Mapping[str, int],
    folder: Path,
    now: datetime,
) -> MediaFile:
    """Accept an upload from the editor: type by content, size by kind, generated names."""
    media_type = sniff_media(data)
    if media_type is None:
        raise MediaRefused(
            _(
                "This file is not an image, video or PDF we accept "
                "(png, jpg, gif, webp, mp4, webm, pdf), whatever its name says."
            )
        )
    limit = limits.get(media_type.kind, 0)
    if len(data) > limit:
        raise MediaRefused(
            _(
                "The file is too large: %(size)s MB (at most %(max)s MB for this kind of file).",
                size=f"{len(data) / 2**20:.1f}",
                max=f"{limit / 2**20:.0f}",
            )
        )
    digest = hashlib.sha256(data).hexdigest()
    same = session.scalar(
        select(MediaFile)
        .where(MediaFile.module_id == module.id, MediaFile.sha256 == digest)
        .order_by(MediaFile.id.desc())
        .limit(1)
    )
    if same is not None:
        return same
    taken = session.scalars(
        select(MediaFile.original_name).where(MediaFile.module_id == module.id)
    ).all()
    path = media_path_for_upload(filename, media_type, taken)
    return store_media(session, module, data=data, path=path, folder=folder, now=now)


def media_for_learner(session: Session, media_id: int) -> MediaFile | None:
    """A media file that the current version of a published module uses (else None)."""
    return session.scalar(
        select(MediaFile)
        .join(VersionMedia, VersionMedia.media_id == MediaFile.id)
        .join(Module, Module.current_version_id == VersionMedia.version_id)
        .where(
            MediaFile.id == media_id,
            Module.id == MediaFile.module_id,
            Module.status == ModuleStatus.PUBLISHED,
        )
        .limit(1)
    )
