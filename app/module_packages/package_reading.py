"""Reading an uploaded package with the library's own readers, before anything is imported."""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from app.assessment import quiz_format
from app.assessment.questions import Quiz as QuizDefinition
from app.content.module_folder import read_module_folder
from app.content.module_format import ModuleSource
from app.i18n.markers import N_
from app.module_packages.package_format.archive_reader import open_package
from app.module_packages.package_format.manifest import (
    COURSES_FOLDER,
    MANIFEST_NAME,
    QUIZZES_FOLDER,
    Manifest,
    PackageLimits,
    PackageRefused,
    module_prefix,
    quiz_name,
    refuse,
)
from app.web.problems import Problem, has_errors, make_problem


def limits_from_config(config: Mapping[str, Any]) -> PackageLimits:
    """The package limits an installation sets (MODULE_PACKAGE_*), else the defaults."""
    defaults = PackageLimits()
    return PackageLimits(
        max_archive_bytes=config.get("MODULE_PACKAGE_MAX_BYTES", defaults.max_archive_bytes),
        max_total_bytes=config.get("MODULE_PACKAGE_MAX_UNPACKED_BYTES", defaults.max_total_bytes),
        max_file_bytes=config.get("MODULE_PACKAGE_MAX_FILE_BYTES", defaults.max_file_bytes),
        max_files=config.get("MODULE_PACKAGE_MAX_FILES", defaults.max_files),
    )


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


def archive_name(problem: Problem, root: Path, renames: dict[str, str] | None = None) -> Problem:
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
    problems = [archive_name(p, unpacked) for p in reading.problems]
    if reading.module is not None:
        problems.extend(_manifest_mismatches(manifest, reading.module))
    quizzes: dict[str, QuizDefinition] = {}
    for quiz_id in manifest.quizzes:
        definition = _read_quiz(unpacked, quiz_id, manifest.slug, problems)
        if definition is not None:
            quizzes[quiz_name(quiz_id)] = definition
    if has_errors(problems) or reading.module is None:
        raise PackageRefused([p for p in problems if p.is_error] or problems)
    return PackageReading(manifest, unpacked, reading.module, quizzes, problems)


def _manifest_mismatches(manifest: Manifest, module: ModuleSource) -> list[Problem]:
    """Where manifest.json and the module folder disagree (languages, id)."""
    problems = []
    found = list(module.variants)
    if (
        sorted(found) != sorted(manifest.languages)
        or manifest.source_language != module.source_language
    ):
        problems.append(
            make_problem(
                MANIFEST_NAME,
                0,
                N_("the languages in manifest.json (%(listed)s) differ from the files (%(found)s)"),
                listed=", ".join(manifest.languages),
                found=", ".join(found),
            )
        )
    if module.id != manifest.slug:
        problems.append(make_problem(MANIFEST_NAME, 0, N_("the module id differs from its files")))
    return problems


def _read_quiz(
    unpacked: Path, quiz_id: str, module_slug: str, problems: list[Problem]
) -> QuizDefinition | None:
    """One quiz file of the package, or None; its problems are added to `problems`."""
    name = quiz_name(quiz_id)
    raw = (unpacked / QUIZZES_FOLDER / f"{quiz_id}.yaml").read_bytes()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        problems.append(make_problem(name, 0, N_("the file is not valid UTF-8 text")))
        return None
    definition, found = quiz_format.parse_quiz_text(text, name)
    problems.extend(dataclasses.replace(p, file=name) for p in found)
    if definition is None:
        return None
    if definition.id != quiz_id or definition.module_id != module_slug:
        problems.append(
            make_problem(
                name,
                0,
                N_("the quiz must have the id %(id)s and belong to module %(module)s"),
                id=quiz_id,
                module=module_slug,
            )
        )
        return None
    return definition
