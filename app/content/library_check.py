"""`flask content check`: every problem in a module folder or a whole library of module folders.

Returns a plain list of Problems (errors and warnings, sorted by file and line) so a caller can
add the problems of quiz files or anything else before printing them. Pure: no Flask, no database.
"""

from __future__ import annotations

from pathlib import Path

from app.content.module_folder import is_module_folder, read_module_folder
from app.content.module_format import ModuleReading
from app.content.variant_file import declared_id
from app.i18n.markers import N_
from app.web.problems import WARNING, Problem, has_errors, make_problem, sort_problems

__all__ = ["check_library", "check_readings", "has_errors", "read_library"]


def read_library(path: str | Path) -> tuple[list[ModuleReading], list[Problem]]:
    """Read one module folder, or every module folder inside a library folder."""
    path = Path(path)
    if not path.is_dir():
        return [], [make_problem(str(path), 0, N_("this folder does not exist"))]
    if is_module_folder(path):
        return [read_module_folder(path)], []
    readings: list[ModuleReading] = []
    problems: list[Problem] = []
    for folder in sorted(p for p in path.iterdir() if p.is_dir()):
        if folder.name.startswith("."):
            continue
        if folder.is_symlink():
            problems.append(
                make_problem(
                    str(folder), 0, N_("links to other folders (symlinks) are not allowed")
                )
            )
        elif is_module_folder(folder):
            readings.append(read_module_folder(folder))
        else:
            problems.append(
                make_problem(
                    str(folder),
                    0,
                    N_("no module file (index.de.md, ...) in this folder: it is ignored"),
                    WARNING,
                )
            )
    if not readings:
        problems.append(make_problem(str(path), 0, N_("no modules found here"), WARNING))
    return readings, problems


def check_readings(readings: list[ModuleReading], *, whole_library: bool) -> list[Problem]:
    """Problems of the modules read, plus those that need several modules to be seen."""
    problems: list[Problem] = []
    for reading in readings:
        problems.extend(reading.problems)
        problems.extend(_unused_files(reading))
    problems.extend(_duplicate_ids(readings))
    if whole_library:
        known = {reading.folder.name for reading in readings}
        known |= {v.id for reading in readings for v in reading.variants.values()}
        for reading in readings:
            for variant in reading.variants.values():
                if variant.refresher_of and variant.refresher_of not in known:
                    problems.append(
                        make_problem(
                            str(variant.path),
                            variant.line_of("refresher_of"),
                            N_("'refresher_of' names '%(id)s', which is not in this library"),
                            WARNING,
                            id=variant.refresher_of,
                        )
                    )
    return problems


def _duplicate_ids(readings: list[ModuleReading]) -> list[Problem]:
    """An id declared in two folders; the folder named after the id keeps it."""
    declared: dict[str, list[tuple[Path, Path, int]]] = {}  # id -> [(folder, file, line)]
    for reading in readings:
        for relative in reading.index_files.values():
            found = declared_id(reading.folder / relative)
            if found:
                module_id, line = found
                declared.setdefault(module_id, []).append(
                    (reading.folder, reading.folder / relative, line)
                )
    problems = []
    for module_id, places in declared.items():
        folders = [folder for folder, _, _ in places]
        owner = next((f for f in folders if f.name == module_id), folders[0])
        for folder, file, line in places:
            if folder != owner:
                problems.append(
                    make_problem(
                        str(file),
                        line,
                        N_("module id '%(id)s' is already used by the folder %(other)s"),
                        id=module_id,
                        other=str(owner),
                    )
                )
    return problems


def check_library(path: str | Path) -> list[Problem]:
    """Check a module folder or a library (a folder of module folders); errors and warnings."""
    path = Path(path)
    readings, problems = read_library(path)
    whole_library = bool(readings) and readings[0].folder != path
    problems.extend(check_readings(readings, whole_library=whole_library))
    return sort_problems(_unique(problems))


def _unused_files(reading: ModuleReading) -> list[Problem]:
    problems = [
        make_problem(
            str(reading.folder / relative),
            0,
            N_("not part of the module (ignored): media go beside index files or in media/"),
            WARNING,
        )
        for relative in reading.ignored
    ]
    used = {path for variant in reading.variants.values() for path in variant.media_paths}
    problems.extend(
        make_problem(
            str(reading.folder / relative),
            0,
            N_("this file is not used by any page"),
            WARNING,
        )
        for relative in reading.media
        # A file that could not be read may use it: only judge when every file was read.
        if relative.as_posix() not in used and len(reading.variants) == len(reading.index_files)
    )
    return problems


def _unique(problems: list[Problem]) -> list[Problem]:
    seen: set[tuple[str, int, str, str]] = set()
    unique = []
    for problem in problems:
        key = (problem.file, problem.line, problem.severity, problem.message)
        if key not in seen:
            seen.add(key)
            unique.append(problem)
    return unique
