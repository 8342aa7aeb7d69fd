"""Export a module as a package, and import a package as a copy owned by another provider.

The import reuses the library importer (`app.content.importing.import_library`): the package
is unpacked and checked (app/module_packages/package_format.py), its module folder and quiz
files are read by the library's own readers, rewritten with the new id and provider, and
imported in the caller's transaction. Media are staged by the media store, so a refused or
rolled-back import leaves neither rows nor files. The caller commits once.
"""

from __future__ import annotations

import dataclasses
import re
import secrets
import tempfile
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.assessment import quiz_format
from app.assessment.library import export_quiz
from app.assessment.models import Quiz
from app.assessment.questions import Quiz as QuizDefinition
from app.content.exporting import module_source
from app.content.importing import ImportRefused, import_library
from app.content.models import Module, VersionMedia
from app.content.module_format import (
    SLUG_RE,
    ModuleSource,
    format_variant,
    read_module_folder,
    write_module_folder,
)
from app.i18n.markers import N_
from app.module_packages.package_format import (
    COURSES_FOLDER,
    CUSTOM_LICENCE,
    MANIFEST_NAME,
    MAX_SLUG_LENGTH,
    QUIZZES_FOLDER,
    Licence,
    Manifest,
    Origin,
    PackageLimits,
    PackageRefused,
    licence_url,
    module_prefix,
    open_package,
    quiz_name,
    refuse,
    write_package,
)
from app.people.models import Provider, User
from app.platform.audit import record_event
from app.web.problems import Problem, has_errors, make_problem

MAX_QUIZ_SLUG_LENGTH = 64
_QUIZ_SLUG_RE = quiz_format.QUIZ_ID_RE


class ExportRefused(ValueError):
    """The module cannot be exported (nothing published, or no licence given)."""


class SlugRefused(ValueError):
    """The id chosen for the copy is not valid or already taken; `template` says which."""

    def __init__(self, template: str, slug: str) -> None:
        self.template = template
        self.slug = slug
        super().__init__(template % {"slug": slug})


def limits_from_config(config: Mapping[str, Any]) -> PackageLimits:
    """The package limits an installation sets (MODULE_PACKAGE_*), else the defaults."""
    defaults = PackageLimits()
    return PackageLimits(
        max_archive_bytes=config.get("MODULE_PACKAGE_MAX_BYTES", defaults.max_archive_bytes),
        max_total_bytes=config.get("MODULE_PACKAGE_MAX_UNPACKED_BYTES", defaults.max_total_bytes),
        max_file_bytes=config.get("MODULE_PACKAGE_MAX_FILE_BYTES", defaults.max_file_bytes),
        max_files=config.get("MODULE_PACKAGE_MAX_FILES", defaults.max_files),
    )


# --- Export ----------------------------------------------------------------------------------


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


# --- Reading a package -----------------------------------------------------------------------


@dataclass
class PackageReading:
    """A package unpacked and checked: its manifest, module, quizzes and warnings."""

    manifest: Manifest
    folder: Path  # where the package was unpacked
    module: ModuleSource
    quizzes: dict[str, QuizDefinition]  # archive name -> quiz
    warnings: list[Problem] = field(default_factory=list)

    @property
    def media_count(self) -> int:
        """How many media files the module brings."""
        return len(self.module.media)


def _archive_name(problem: Problem, root: Path, renames: dict[str, str] | None = None) -> Problem:
    """The problem, with the file named as it is inside the archive."""
    file = problem.file
    if Path(file).is_relative_to(root):
        file = Path(file).relative_to(root).as_posix()
    for new, old in (renames or {}).items():
        if file == new or file.startswith(new.rstrip("/") + "/"):
            file = old + file[len(new) :]
            break
    return dataclasses.replace(problem, file=file)


def read_package(
    path: Path, workdir: Path, limits: PackageLimits, *, label: str | None = None
) -> PackageReading:
    """Unpack and check a package with the library's own readers; raise PackageRefused."""
    unpacked = workdir / "package"
    unpacked.mkdir()
    manifest = open_package(path, unpacked, limits, label=label)
    folder = unpacked / COURSES_FOLDER / manifest.slug
    if not folder.is_dir():
        raise refuse(
            module_prefix(manifest.slug), N_("the module folder named in manifest.json is missing")
        )
    reading = read_module_folder(folder)
    problems = [_archive_name(p, unpacked) for p in reading.problems]
    if reading.module is not None:
        found = list(reading.module.variants)
        if sorted(found) != sorted(manifest.languages) or manifest.source_language != (
            reading.module.source_language
        ):
            problems.append(
                make_problem(
                    MANIFEST_NAME,
                    0,
                    N_(
                        "the languages in manifest.json (%(listed)s) differ from the files "
                        "(%(found)s)"
                    ),
                    listed=", ".join(manifest.languages),
                    found=", ".join(found),
                )
            )
        if reading.module.id != manifest.slug:
            problems.append(
                make_problem(MANIFEST_NAME, 0, N_("the module id differs from its files"))
            )
    quizzes: dict[str, QuizDefinition] = {}
    for quiz_id in manifest.quizzes:
        name = quiz_name(quiz_id)
        raw = (unpacked / QUIZZES_FOLDER / f"{quiz_id}.yaml").read_bytes()
        try:
            text = raw.decode("utf-8-sig")
        except UnicodeDecodeError:
            problems.append(make_problem(name, 0, N_("the file is not valid UTF-8 text")))
            continue
        definition, found = quiz_format.parse_quiz_text(text, name)
        problems.extend(dataclasses.replace(p, file=name) for p in found)
        if definition is None:
            continue
        if definition.id != quiz_id or definition.module_id != manifest.slug:
            problems.append(
                make_problem(
                    name,
                    0,
                    N_("the quiz must have the id %(id)s and belong to module %(module)s"),
                    id=quiz_id,
                    module=manifest.slug,
                )
            )
            continue
        quizzes[name] = definition
    if has_errors(problems) or reading.module is None:
        raise PackageRefused([p for p in problems if p.is_error] or problems)
    return PackageReading(manifest, unpacked, reading.module, quizzes, problems)


# --- Import ----------------------------------------------------------------------------------


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
        target.write_text(quiz_format.dump_quiz(copy), encoding="utf-8")
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
        manifest = reading.manifest
        quiz_ids = quiz_slugs(session, [d.id for d in reading.quizzes.values()], slug)
        copy_root = Path(work) / "copy"
        folder, quiz_paths, renames = _write_copy(reading, copy_root, slug, provider, quiz_ids)
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
            # The unique id is claimed first, so the library import below can only fill this
            # new module, never add a version to someone else's that took the id meanwhile.
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
                [_archive_name(p, copy_root, renames) for p in refused.problems if p.is_error]
            ) from refused
    record_event(
        session,
        "module.package_imported",
        actor_id=actor.id if actor else None,
        object_type="module",
        object_id=module.id,
        now=now,
        slug=slug,
        provider=provider.slug,
        origin_provider=manifest.origin.provider,
        origin_installation=manifest.origin.installation,
        origin_slug=manifest.origin.slug,
        content_version=manifest.content_version,
        licence=manifest.licence.spdx,
        quizzes=sorted(quiz_ids.values()),
    )
    session.flush()
    return module


# --- Packages waiting between upload and confirmation ------------------------------------------

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
