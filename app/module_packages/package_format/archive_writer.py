"""Writing a module package: the files, their listing and manifest.json, in one zip.

Pure: no Flask, no database.
"""

from __future__ import annotations

import hashlib
import json
import re
import stat
import zipfile
from collections.abc import Iterable, Mapping
from datetime import UTC, datetime
from pathlib import Path

from app.module_packages.package_format.manifest import (
    MANIFEST_NAME,
    Licence,
    Manifest,
    Origin,
    PackageFile,
    module_prefix,
)


def write_package(
    target: Path,
    files: Mapping[str, bytes],
    *,
    slug: str,
    titles: Mapping[str, str],
    source_language: str,
    content_version: int,
    licence: Licence,
    origin: Origin,
    quizzes: Iterable[str],
    now: datetime,
) -> Manifest:
    """Write a package: `files` maps archive names (courses/…, quizzes/…) to their bytes."""
    listed = tuple(
        PackageFile(name, len(data), hashlib.sha256(data).hexdigest())
        for name, data in sorted(files.items())
    )
    languages = tuple(
        sorted(
            {
                m.group(1)
                for name in files
                if (m := re.match(rf"^{re.escape(module_prefix(slug))}index\.(\w+)\.md$", name))
            }
        )
    )
    manifest = Manifest(
        slug=slug,
        titles=dict(titles),
        languages=languages,
        source_language=source_language,
        content_version=content_version,
        licence=licence,
        origin=origin,
        created_at=now,
        files=listed,
        quizzes=tuple(quizzes),
    )
    stamp = now.astimezone(UTC).timetuple()[:6]
    with zipfile.ZipFile(target, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        entries = {
            MANIFEST_NAME: json.dumps(manifest.to_dict(), ensure_ascii=False, indent=2).encode(),
            **dict(sorted(files.items())),
        }
        for name, data in entries.items():
            info = zipfile.ZipInfo(name, date_time=stamp)  # type: ignore[arg-type]
            info.compress_type = zipfile.ZIP_DEFLATED
            info.create_system = 3  # Unix: the mode below says "regular file, rw-r--r--"
            info.external_attr = (stat.S_IFREG | 0o644) << 16
            archive.writestr(info, data)
    return manifest
