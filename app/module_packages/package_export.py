"""Export a module's published version, media and quizzes as a package for others to import."""

from __future__ import annotations

import dataclasses
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.assessment.library import export_quiz
from app.assessment.models import Quiz
from app.content.exporting import module_source
from app.content.models import Module, ModuleVersion, VersionMedia
from app.content.module_folder import write_module_folder
from app.i18n.markers import N_
from app.module_packages.package_format.archive_writer import write_package
from app.module_packages.package_format.manifest import (
    CUSTOM_LICENCE,
    Licence,
    Manifest,
    Origin,
    licence_url,
    module_prefix,
    quiz_name,
)
from app.people.models import User
from app.platform.audit import record_event


class ExportRefused(ValueError):
    """The module cannot be exported (nothing published, or no licence given)."""


def module_licence(module: Module) -> Licence | None:
    """The licence a module was received under (None for a module written here)."""
    if not module.licence_spdx:
        return None
    return Licence(module.licence_spdx, module.licence_url, module.licence_text)


def choose_licence(
    module: Module, spdx: str | None, url: str | None = None, text: str | None = None
) -> Licence:
    """The licence of an export: a received module keeps its own, others take the chosen one."""
    received = module_licence(module)
    if received is not None:
        return received
    spdx = (spdx or "").strip()
    url = (url or "").strip() or None
    text = (text or "").strip() or None
    if not spdx:
        raise ExportRefused(N_("Choose the licence under which others may use the module."))
    if spdx == CUSTOM_LICENCE and not (url or text):
        raise ExportRefused(N_("A licence of your own needs its text or its address."))
    if url is not None and not re.match(r"^https?://\S+$", url):
        raise ExportRefused(N_("The licence address must start with http:// or https://."))
    return Licence(spdx=spdx, url=url or licence_url(spdx), text=text)


def _module_quizzes(session: Session, module: Module) -> list[Quiz]:
    return list(
        session.scalars(
            select(Quiz)
            .where(Quiz.module_id == module.id, Quiz.current_version_id.is_not(None))
            .order_by(Quiz.slug)
        )
    )


def export_package(
    session: Session,
    module: Module,
    target: Path,
    *,
    licence: Licence,
    installation: str,
    media_folder: Path,
    actor: User | None,
    now: datetime,
) -> Manifest:
    """Write the module's published version, media and quizzes as a package at `target`."""
    version = module.current_version
    if version is None:
        raise ExportRefused(N_("Only a published module can be shared: publish it first."))
    files = _module_files(session, module, version, media_folder)
    quizzes = _module_quizzes(session, module)
    for quiz in quizzes:
        files[quiz_name(quiz.slug)] = export_quiz(session, quiz).encode("utf-8")
    titles = {row.language: row.title for row in version.variants}
    manifest = write_package(
        target,
        files,
        slug=module.slug,
        titles=titles,
        source_language=module.source_language,
        content_version=version.number,
        licence=licence,
        origin=Origin(
            provider=module.provider.name,
            installation=installation,
            slug=module.slug,
            title=titles.get(module.source_language, module.slug),
            content_version=version.number,
            upstream=_upstream_of(module),
        ),
        quizzes=[quiz.slug for quiz in quizzes],
        now=now,
    )
    record_event(
        session,
        "module.package_exported",
        actor_id=actor.id if actor else None,
        object_type="module",
        object_id=module.id,
        now=now,
        version=version.number,
        licence=licence.spdx,
        quizzes=[quiz.slug for quiz in quizzes],
    )
    return manifest


def _module_files(
    session: Session, module: Module, version: ModuleVersion, media_folder: Path
) -> dict[str, bytes]:
    """The version's module folder (texts and media) as archive names and their bytes."""
    source = module_source(session, module, version)
    # A package stands alone: a refresher link would name a module the other side lacks.
    source = dataclasses.replace(
        source,
        variants={
            lang: dataclasses.replace(variant, refresher_of=None)
            for lang, variant in source.variants.items()
        },
    )
    stored = {
        link.path: link.media.stored_name
        for link in session.scalars(
            select(VersionMedia).where(VersionMedia.version_id == version.id)
        )
    }
    files: dict[str, bytes] = {}
    with tempfile.TemporaryDirectory(prefix="package-export-") as work:
        folder = write_module_folder(
            source,
            Path(work) / module.slug,
            read_media=lambda relative: (media_folder / stored[relative.as_posix()]).read_bytes(),
        )
        for path in sorted(p for p in folder.rglob("*") if p.is_file()):
            files[module_prefix(module.slug) + path.relative_to(folder).as_posix()] = (
                path.read_bytes()
            )
    return files


def _upstream_of(module: Module) -> tuple[dict[str, Any], ...]:
    """A re-shared copy names where it came from first, so the credit travels with it."""
    if not module.origin:
        return ()
    earlier = dict(module.origin)
    chain = [dict(item) for item in earlier.pop("upstream", []) or []]
    keep = {
        k: earlier[k]
        for k in ("provider", "installation", "slug", "title", "content_version")
        if k in earlier
    }
    return tuple([keep, *chain][:10])
