"""Import a package as a copy of its module owned by another provider.

The import reuses the library importer (`app.content.importing.import_library`): the package
is unpacked and checked (app/module_packages/package_reading.py), its module folder and quiz
files are read by the library's own readers, rewritten with the new id and provider, and
imported in the caller's transaction. Media are staged by the media store, so a refused or
rolled-back import leaves neither rows nor files. The caller commits once.
"""

from __future__ import annotations

import dataclasses
import re
import tempfile
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.assessment import quiz_dump, quiz_schema
from app.assessment.models import Quiz
from app.content.importing import ImportRefused, import_library
from app.content.models import Module
from app.content.module_folder import write_module_folder
from app.content.module_format import SLUG_RE, format_variant
from app.i18n.markers import N_
from app.module_packages.package_format.manifest import (
    COURSES_FOLDER,
    MAX_SLUG_LENGTH,
    QUIZZES_FOLDER,
    Manifest,
    PackageLimits,
    PackageRefused,
    quiz_name,
    refuse,
)
from app.module_packages.package_reading import PackageReading, archive_name, read_package
from app.people.models import Provider, User
from app.platform.audit import record_event

MAX_QUIZ_SLUG_LENGTH = 64
_QUIZ_SLUG_RE = quiz_schema.QUIZ_ID_RE


class SlugRefused(ValueError):
    """The id chosen for the copy is not valid or already taken; `template` says which."""

    def __init__(self, template: str, slug: str) -> None:
        self.template = template
        self.slug = slug
        super().__init__(template % {"slug": slug})


def slug_problem(session: Session, slug: str) -> str | None:
    """Why a module id cannot be used for the copy (taken, or not a valid id), or None."""
    if not slug or len(slug) > MAX_SLUG_LENGTH or not SLUG_RE.match(slug):
        return N_("Use lowercase letters, digits and hyphens (at most 100), like tax-return-2027.")
    if session.scalar(select(Module.id).where(Module.slug == slug)) is not None:
        return N_("The id '%(slug)s' is already used by another module: choose another one.")
    return None


def suggest_slug(session: Session, wanted: str, provider: Provider) -> str:
    """The package's own id when it is free, else one with the provider's id added."""
    candidates = [wanted, f"{wanted}-{provider.slug}"] + [
        f"{wanted}-{provider.slug}-{n}" for n in range(2, 50)
    ]
    for candidate in candidates:
        if len(candidate) <= MAX_SLUG_LENGTH and slug_problem(session, candidate) is None:
            return candidate
    return wanted


def quiz_slugs(session: Session, quizzes: list[str], module_slug: str) -> dict[str, str]:
    """A free quiz id for each of the package's quizzes: its own, else one from the module's."""
    taken = set(session.scalars(select(Quiz.slug)))
    chosen: dict[str, str] = {}
    for original in quizzes:
        base = re.sub(r"-+", "-", f"{module_slug}-quiz").strip("-")[:MAX_QUIZ_SLUG_LENGTH]
        candidates = [original, base] + [f"{base[:58]}-{n}" for n in range(2, 100)]
        for candidate in candidates:
            if (
                candidate not in taken
                and len(candidate) <= MAX_QUIZ_SLUG_LENGTH
                and _QUIZ_SLUG_RE.match(candidate)
            ):
                chosen[original] = candidate
                taken.add(candidate)
                break
        else:
            raise refuse(quiz_name(original), N_("no free id for this quiz"))
    return chosen


def origin_record(manifest: Manifest, *, imported_at: datetime) -> dict[str, Any]:
    """What an imported module keeps about where it came from."""
    return {
        **manifest.origin.to_dict(),
        "package_created_at": manifest.created_at.isoformat(),
        "imported_at": imported_at.isoformat(),
    }


def _write_copy(
    reading: PackageReading, root: Path, slug: str, provider: Provider, quiz_ids: dict[str, str]
) -> tuple[Path, list[Path], dict[str, str]]:
    """The package's module and quizzes as library files under the copy's ids."""
    folder = root / COURSES_FOLDER / slug
    renamed = {
        lang: dataclasses.replace(variant, id=slug, provider=provider.slug, refresher_of=None)
        for lang, variant in reading.module.variants.items()
    }
    write_module_folder(dataclasses.replace(reading.module, variants={}), folder)
    for lang, variant in renamed.items():
        (folder / f"index.{lang}.md").write_text(format_variant(variant), encoding="utf-8")
    quiz_paths = []
    renames = {f"{COURSES_FOLDER}/{slug}": f"{COURSES_FOLDER}/{reading.manifest.slug}"}
    (root / QUIZZES_FOLDER).mkdir(parents=True, exist_ok=True)
    for name, definition in reading.quizzes.items():
        new_id = quiz_ids[definition.id]
        copy = dataclasses.replace(definition, id=new_id, module_id=slug)
        target = root / QUIZZES_FOLDER / f"{new_id}.yaml"
        target.write_text(quiz_dump.dump_quiz(copy), encoding="utf-8")
        quiz_paths.append(target)
        renames[f"{QUIZZES_FOLDER}/{new_id}.yaml"] = name
    return folder, quiz_paths, renames


def import_package(
    session: Session,
    path: Path,
    *,
    provider: Provider,
    slug: str,
    actor: User | None,
    now: datetime,
    limits: PackageLimits,
    media_store: Path,
    label: str | None = None,
) -> Module:
    """Import a package as a new module `slug` owned by `provider`; the caller commits once.

    Raises PackageRefused (naming the file inside the archive) having added nothing that the
    caller's rollback would not remove; staged media go with the rollback.
    """
    problem = slug_problem(session, slug)
    if problem is not None:
        raise SlugRefused(problem, slug)
    with tempfile.TemporaryDirectory(prefix="package-import-") as work:
        reading = read_package(path, Path(work), limits, label=label)
        quiz_ids = quiz_slugs(session, [d.id for d in reading.quizzes.values()], slug)
        copy_root = Path(work) / "copy"
        folder, quiz_paths, renames = _write_copy(reading, copy_root, slug, provider, quiz_ids)
        module = _claim_ids(session, reading, slug, provider, quiz_ids, now=now)
        try:
            import_library(
                session,
                [folder],
                quiz_paths=quiz_paths,
                now=now,
                major=True,
                actor=actor,
                media_store=media_store,
            )
        except ImportRefused as refused:
            raise PackageRefused(
                [archive_name(p, copy_root, renames) for p in refused.problems if p.is_error]
            ) from refused
    _record_import(session, reading.manifest, module, provider, quiz_ids, actor=actor, now=now)
    session.flush()
    return module


def _claim_ids(
    session: Session,
    reading: PackageReading,
    slug: str,
    provider: Provider,
    quiz_ids: dict[str, str],
    *,
    now: datetime,
) -> Module:
    """Add the new module and its quizzes, empty, so that their unique ids are ours."""
    manifest = reading.manifest
    module = Module(
        slug=slug,
        provider_id=provider.id,
        source_language=reading.module.source_language,
        created_at=now,
        origin=origin_record(manifest, imported_at=now),
        licence_spdx=manifest.licence.spdx,
        licence_url=manifest.licence.url,
        licence_text=manifest.licence.text,
    )
    session.add(module)
    try:
        # The unique id is claimed first, so the library import that follows can only fill
        # this new module, never add a version to someone else's that took the id meanwhile.
        session.flush()
        for quiz_id in quiz_ids.values():
            session.add(
                Quiz(slug=quiz_id, provider_id=provider.id, module_id=module.id, created_at=now)
            )
        session.flush()
    except IntegrityError as exc:
        raise SlugRefused(
            N_("The id '%(slug)s' was taken just now: choose another one."), slug
        ) from exc
    return module


def _record_import(
    session: Session,
    manifest: Manifest,
    module: Module,
    provider: Provider,
    quiz_ids: dict[str, str],
    *,
    actor: User | None,
    now: datetime,
) -> None:
    """Audit the import with where the module came from and under which licence."""
    record_event(
        session,
        "module.package_imported",
        actor_id=actor.id if actor else None,
        object_type="module",
        object_id=module.id,
        now=now,
        slug=module.slug,
        provider=provider.slug,
        origin_provider=manifest.origin.provider,
        origin_installation=manifest.origin.installation,
        origin_slug=manifest.origin.slug,
        content_version=manifest.content_version,
        licence=manifest.licence.spdx,
        quizzes=sorted(quiz_ids.values()),
    )
