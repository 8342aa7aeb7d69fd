"""Import a content library: module folders, and other files (quizzes) through LIBRARY_IMPORTERS.

All or nothing: every file is read and checked first; only when there is no error anywhere is
anything written, and the caller commits once. An unchanged module (same content hash) gets no
new version; a changed one gets a new immutable version whose pages are rendered here, once.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from app.content.library_check import check_readings, read_library
from app.content.media_files import media_folder, store_media
from app.content.models import MediaFile, Module, ModuleKind, ModuleStatus
from app.content.module_folder import is_module_folder
from app.content.module_format import MAX_FILE_BYTES, ModuleSource
from app.content.variant_file import read_at_most
from app.content.versions import add_version, module_content_hash
from app.i18n.markers import N_
from app.people.models import Provider, User
from app.platform.hooks import LIBRARY_IMPORTERS
from app.web.problems import Problem, has_errors, make_problem, sort_problems

log = logging.getLogger(__name__)

# progress(done, total, label): called once per module; the quiz import calls it with one
# line of text per quiz.
Progress = Callable[..., Any]


class ImportRefused(ValueError):
    """The library has errors; nothing was written. `problems` lists errors and warnings."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        errors = [str(p) for p in problems if p.is_error]
        super().__init__(f"{len(errors)} error(s):\n" + "\n".join(errors))


@dataclass
class ModuleOutcome:
    """What happened to one module: created, new_version or unchanged."""

    slug: str
    outcome: str
    version: int | None
    is_major: bool = False


@dataclass
class ImportReport:
    """The result of an import: one outcome per module, the warnings, and the quiz report."""

    modules: list[ModuleOutcome] = field(default_factory=list)
    warnings: list[Problem] = field(default_factory=list)
    providers_created: list[str] = field(default_factory=list)
    quiz_report: Any = None

    def count(self, outcome: str) -> int:
        """How many modules had this outcome."""
        return sum(1 for m in self.modules if m.outcome == outcome)

    @property
    def created(self) -> int:
        """Modules that did not exist before."""
        return self.count("created")

    @property
    def new_versions(self) -> int:
        """Existing modules that changed and got a new version."""
        return self.count("new_version")

    @property
    def unchanged(self) -> int:
        """Modules whose content hash had not changed."""
        return self.count("unchanged")


# --- Reading and checking ------------------------------------------------------------------


def split_paths(paths: Iterable[str | Path]) -> tuple[list[Path], list[Path]]:
    """Sort paths into module libraries/folders and the rest (quiz files and folders)."""
    modules: list[Path] = []
    others: list[Path] = []
    for raw in paths:
        path = Path(raw)
        if path.is_dir() and (
            is_module_folder(path)
            or any(is_module_folder(child) for child in path.iterdir() if child.is_dir())
        ):
            modules.append(path)
        else:
            others.append(path)
    return modules, others


def check_paths(
    paths: Sequence[str | Path], *, quiz_paths: Sequence[str | Path] | None = None
) -> tuple[list[ModuleSource], list[Problem]]:
    """Read and check modules (and quizzes through the hook); no database access."""
    module_paths, other_paths = split_paths(paths)
    if quiz_paths is None:
        quiz_paths = other_paths
    else:
        module_paths.extend(Path(p) for p in other_paths)
    readings = []
    problems: list[Problem] = []
    whole_library = False
    for path in module_paths:
        found, read_problems = read_library(path)
        readings.extend(found)
        problems.extend(read_problems)
        whole_library = whole_library or (bool(found) and found[0].folder != path)
    problems.extend(check_readings(readings, whole_library=whole_library))
    problems.extend(_nul_characters(readings))
    problems.extend(_check_other_files(quiz_paths))
    modules = [r.module for r in readings if r.module is not None]
    return modules, sort_problems(_unique(problems))


def _check_other_files(paths: Sequence[str | Path]) -> list[Problem]:
    """Check the files that are not modules with the connected library importers (quizzes)."""
    importers = LIBRARY_IMPORTERS.receivers()
    if importers:
        return [
            problem
            for importer in importers
            for problem in importer.check([str(path) for path in paths])
        ]
    problems = []
    for path in paths:
        if not Path(path).exists():
            problems.append(make_problem(str(path), 0, N_("this path does not exist")))
        else:
            problems.append(
                make_problem(
                    str(path),
                    0,
                    N_("no module here, and quiz files cannot be imported yet: ignored"),
                    "warning",
                )
            )
    return problems


def _nul_characters(readings: Iterable[Any]) -> list[Problem]:
    """NUL (byte 0) cannot be stored by PostgreSQL and is never meant: name its line."""
    problems = []
    for reading in readings:
        for relative in reading.index_files.values():
            path = reading.folder / relative
            # Bounded: a file over the size limit is already an error of its own.
            data = (read_at_most(path, MAX_FILE_BYTES) or b"") if path.is_file() else b""
            if b"\x00" in data:
                line = data[: data.index(b"\x00")].count(b"\n") + 1
                problems.append(
                    make_problem(
                        str(path), line, N_("the file contains a NUL character (byte 0): remove it")
                    )
                )
    return problems


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, int, str, str]] = set()
    result = []
    for problem in problems:
        key = (problem.file, problem.line, problem.severity, problem.message)
        if key not in seen:
            seen.add(key)
            result.append(problem)
    return result


# --- Import ----------------------------------------------------------------------------------


def import_library(
    session: Session,
    paths: Sequence[str | Path],
    *,
    now: datetime,
    major: bool | None,
    actor: User | None,
    progress: Progress | None = None,
    quiz_paths: Sequence[str | Path] | None = None,
    media_store: Path | None = None,
) -> ImportReport:
    """Import module folders or libraries (and quizzes) atomically; the caller commits once.

    `major`: True marks every changed module as a major change (learners redo it), False or
    None as minor; a module's first version is always major. Raises ImportRefused, having
    written nothing, when any file has an error.
    """
    sources, problems = check_paths(paths, quiz_paths=quiz_paths)
    if has_errors(problems):
        raise ImportRefused(problems)
    report = ImportReport(warnings=[p for p in problems if not p.is_error])
    _, other_paths = split_paths(paths)
    quiz_paths = list(quiz_paths) if quiz_paths is not None else other_paths
    folder = media_store or media_folder()

    slugs = {source.id for source in sources}
    existing = {
        m.slug: m for m in session.scalars(select(Module).where(Module.slug.in_(slugs))).all()
    }
    providers = {p.slug: p for p in session.scalars(select(Provider)).all()}
    total = len(sources)
    for done, source in enumerate(sources, 1):
        module_outcome = _import_module(
            session,
            source,
            module=existing.get(source.id),
            providers=providers,
            report=report,
            now=now,
            major=major,
            actor=actor,
            folder=folder,
        )
        existing[source.id] = module_outcome[0]
        report.modules.append(module_outcome[1])
        if progress is not None:
            progress(done, total, source.id)
    _link_refreshers(session, sources, existing)

    if quiz_paths:
        _import_other_files(
            session, quiz_paths, problems, report, now=now, actor=actor, progress=progress
        )
    session.flush()
    return report


def _import_other_files(
    session: Session,
    paths: Sequence[str | Path],
    problems: list[Problem],
    report: ImportReport,
    *,
    now: datetime,
    actor: User | None,
    progress: Progress | None,
) -> None:
    """Let the library importers (quizzes) write their files; their report goes in `report`."""
    for importer in LIBRARY_IMPORTERS.receivers():
        report.quiz_report = importer.import_files(
            session, [str(p) for p in paths], now=now, actor=actor, progress=progress
        )
        found = list(getattr(report.quiz_report, "problems", []) or [])
        if has_errors(found):
            # Found only against the database (a quiz names an unknown module): the caller
            # rolls back, so the modules written above go too.
            raise ImportRefused(sort_problems(_unique([*problems, *found])))


def _import_module(
    session: Session,
    source: ModuleSource,
    *,
    module: Module | None,
    providers: dict[str, Provider],
    report: ImportReport,
    now: datetime,
    major: bool | None,
    actor: User | None,
    folder: Path,
) -> tuple[Module, ModuleOutcome]:
    provider_slug = source.source.provider
    provider = providers.get(provider_slug)
    if provider is None:
        # Import is an administrator's command: a new provider is created (and reported).
        provider = Provider(slug=provider_slug, name=provider_slug, created_at=now)
        session.add(provider)
        session.flush()
        providers[provider_slug] = provider
        report.providers_created.append(provider_slug)
    content_hash = module_content_hash({k: v.content_hash for k, v in source.variants.items()})
    created = module is None
    if module is None:
        module = Module(
            slug=source.id,
            provider_id=provider.id,
            source_language=source.source_language,
            status=ModuleStatus.DRAFT,
            created_at=now,
        )
        session.add(module)
        session.flush()
    elif module.current_version is not None and module.current_version.content_hash == content_hash:
        return module, ModuleOutcome(source.id, "unchanged", module.current_version.number)
    module.provider_id = provider.id
    module.source_language = source.source_language
    module.kind = ModuleKind(source.source.kind or ModuleKind.MODULE)

    used = sorted({path for v in source.variants.values() for path in v.media_paths})
    media_by_path: dict[str, MediaFile] = {}
    for path in used:
        data = (source.folder / path).read_bytes()
        media_by_path[path] = store_media(
            session, module, data=data, path=path, folder=folder, now=now
        )
    version = add_version(
        session,
        module,
        source.variants,
        media_by_path=media_by_path,
        is_major=bool(major),
        change_note=source.source.version_note,
        actor=actor,
        now=now,
    )
    outcome = "created" if created or version.number == 1 else "new_version"
    return module, ModuleOutcome(source.id, outcome, version.number, version.is_major)


def _link_refreshers(
    session: Session, sources: list[ModuleSource], modules: dict[str, Module]
) -> None:
    wanted = {s.id: s.source.refresher_of for s in sources}
    missing = {slug for slug in wanted.values() if slug and slug not in modules}
    if missing:
        for module in session.scalars(select(Module).where(Module.slug.in_(missing))):
            modules[module.slug] = module
    for slug, target in wanted.items():
        full = modules.get(target) if target else None
        modules[slug].refresher_of_id = full.id if full else None
    session.flush()
