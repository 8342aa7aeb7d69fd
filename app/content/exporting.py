"""Export published modules back to the library file format (`courses/<id>/index.<lang>.md`).

Reading an exported folder gives the same content hashes, so export → import makes no version.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.content.models import Module, ModuleVersion, VersionMedia
from app.content.module_folder import write_module_folder
from app.content.module_format import ModuleSource
from app.content.publishing import variant_source_from_row
from app.i18n.languages import language_rank


class ExportError(ValueError):
    """The export cannot be done (unknown module, nothing published)."""


@dataclass(frozen=True)
class ExportedModule:
    """One module written: its id, version number and folder."""

    slug: str
    version: int
    folder: Path


def module_source(session: Session, module: Module, version: ModuleVersion) -> ModuleSource:
    """A published version as the file format's ModuleSource (media paths from the version)."""
    provider_slug = module.provider.slug
    refresher_slug = module.refresher_of.slug if module.refresher_of else None
    variants = {
        row.language: variant_source_from_row(module, provider_slug, refresher_slug, version, row)
        for row in sorted(version.variants, key=lambda r: language_rank(r.language))
    }
    links = session.scalars(
        select(VersionMedia)
        .where(VersionMedia.version_id == version.id)
        .options(selectinload(VersionMedia.media))
        .order_by(VersionMedia.path)
    ).all()
    return ModuleSource(
        id=module.slug,
        folder=Path(module.slug),
        source_language=module.source_language,
        variants=variants,
        media=[Path(link.path) for link in links],
        media_hashes={link.path: link.media.sha256 for link in links},
    )


def export_modules(
    session: Session, dest: str | Path, *, media_folder: Path, slug: str | None = None
) -> list[ExportedModule]:
    """Write the current version of every published or archived module (or just `slug`)."""
    dest = Path(dest)
    query = (
        select(Module)
        .where(Module.current_version_id.is_not(None))
        .options(selectinload(Module.current_version).selectinload(ModuleVersion.variants))
        .order_by(Module.slug)
    )
    if slug is not None:
        query = query.where(Module.slug == slug)
    modules = session.scalars(query).all()
    if slug is not None and not modules:
        raise ExportError(f"no published module with the id '{slug}'")
    written = []
    for module in modules:
        version = module.current_version
        assert version is not None
        source = module_source(session, module, version)
        stored = {
            link.path: link.media.stored_name
            for link in session.scalars(
                select(VersionMedia).where(VersionMedia.version_id == version.id)
            )
        }

        def read_media(relative: Path, stored: dict[str, str] = stored) -> bytes:
            return (media_folder / stored[relative.as_posix()]).read_bytes()

        folder = write_module_folder(source, dest / module.slug, read_media=read_media)
        written.append(ExportedModule(module.slug, version.number, folder))
    return written
