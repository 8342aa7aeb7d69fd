"""A module folder: its files sorted by kind, read and checked across languages, written back.

Every language file is read by `variant_file`; this module adds what concerns the folder as a
whole (file names, media types, agreement between languages). Pure: no Flask, no database.
"""

from __future__ import annotations

import shutil
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from app.content.media_types import sniff_file
from app.content.module_format import (
    INDEX_FILE_RE,
    MEDIA_FOLDER,
    MODULE_KEYS,
    ModuleFormatError,
    ModuleReading,
    ModuleSource,
    VariantSource,
    file_sha256,
    format_variant,
)
from app.content.variant_file import read_variant_file
from app.i18n.languages import LANGUAGES, language_rank
from app.i18n.markers import N_
from app.web.problems import ERROR, WARNING, Problem, has_errors, make_problem


@dataclass
class ModuleFiles:
    """The files of a module folder, sorted by kind (paths relative to the folder)."""

    index: dict[str, Path]  # language -> file
    bad_names: list[Path]  # index*.md files whose language is missing or not supported
    media: list[Path]
    ignored: list[Path]
    symlinks: list[Path]


def module_files(folder: Path) -> ModuleFiles:
    """Sort the files of a module folder: language files, media (beside them or in media/)."""
    files = ModuleFiles({}, [], [], [], [])
    for entry in sorted(folder.iterdir()):
        if entry.name.startswith("."):
            continue
        relative = entry.relative_to(folder)
        if entry.is_symlink():
            files.symlinks.append(relative)
        elif entry.is_dir():
            if entry.name == MEDIA_FOLDER:
                for path in sorted(entry.rglob("*")):
                    inner = path.relative_to(folder)
                    if any(part.startswith(".") for part in inner.parts):
                        continue
                    if path.is_symlink():
                        files.symlinks.append(inner)
                    elif path.is_file():
                        files.media.append(inner)
            else:
                files.ignored.append(relative)
            continue
        match = INDEX_FILE_RE.match(entry.name)
        if match:
            if match.group(1) in LANGUAGES:
                files.index[match.group(1)] = relative
            else:
                files.bad_names.append(relative)
        elif entry.suffix.lower() == ".md":
            files.ignored.append(relative)
        else:
            files.media.append(relative)
    return files


def is_module_folder(folder: Path) -> bool:
    """True when the folder holds at least one index*.md file."""
    return folder.is_dir() and any(
        INDEX_FILE_RE.match(p.name) for p in folder.iterdir() if p.is_file()
    )


def read_module_folder(folder: str | Path) -> ModuleReading:
    """Read and check one module folder: every language file, media types and translations."""
    folder = Path(folder)
    if not folder.is_dir():
        problem = make_problem(str(folder), 0, N_("this folder does not exist"))
        return ModuleReading(folder, None, {}, [], [], [problem], {})
    files = module_files(folder)
    problems = _file_name_problems(folder, files)
    problems.extend(_check_media_types(folder, files.media))
    media_hashes = {p.as_posix(): file_sha256(folder / p) for p in files.media}

    variants: dict[str, VariantSource] = {}
    for language, relative in files.index.items():
        variant, found = read_variant_file(folder / relative, media_hashes=media_hashes)
        problems.extend(found)
        if variant is not None:
            variants[language] = variant
    source_language = _check_variants(files, variants, problems)

    module = None
    if not has_errors(problems) and source_language:
        module = ModuleSource(
            id=variants[source_language].id,
            folder=folder,
            source_language=source_language,
            variants=dict(sorted(variants.items(), key=lambda kv: language_rank(kv[0]))),
            media=files.media,
            media_hashes=media_hashes,
        )
    return ModuleReading(
        folder, module, variants, files.media, files.ignored, problems, files.index
    )


def _file_name_problems(folder: Path, files: ModuleFiles) -> list[Problem]:
    """Language files with a wrong name, symlinks, and a folder without any language file."""
    problems: list[Problem] = []
    for relative in files.bad_names:
        match = INDEX_FILE_RE.match(relative.name)
        language = match.group(1) if match else None
        file = str(folder / relative)
        if language:
            template = N_(
                "language '%(language)s' in the file name is not supported (de, fr, it, en)"
            )
            problems.append(make_problem(file, 0, template, language=language))
        else:
            template = N_("the file name needs a language, like index.de.md")
            problems.append(make_problem(file, 0, template))
    for relative in files.symlinks:
        problems.append(
            make_problem(
                str(folder / relative), 0, N_("links to other files (symlinks) are not allowed")
            )
        )
    if not files.index:
        problems.append(
            make_problem(
                str(folder),
                0,
                N_("no module file here: add index.de.md, index.fr.md, index.it.md or index.en.md"),
            )
        )
    return problems


def load_module_folder(folder: str | Path) -> ModuleSource:
    """Read a module folder for import; raise ModuleFormatError if it has any error."""
    reading = read_module_folder(folder)
    if reading.module is None:
        raise ModuleFormatError(reading.problems)
    return reading.module


def _check_media_types(folder: Path, media: list[Path]) -> list[Problem]:
    problems = []
    for relative in media:
        sniffed = sniff_file(folder / relative)
        file = str(folder / relative)
        if sniffed is None:
            problems.append(
                make_problem(
                    file,
                    0,
                    N_("this file type is not allowed (only png, jpg, gif, webp, mp4, webm, pdf)"),
                )
            )
        elif not sniffed.matches_name(relative.name):
            problems.append(
                make_problem(
                    file,
                    0,
                    N_("the file is a %(kind)s but its name ends in '%(suffix)s': rename it"),
                    kind=sniffed.extension,
                    suffix=relative.suffix,
                )
            )
    return problems


def _check_variants(
    files: ModuleFiles, variants: dict[str, VariantSource], problems: list[Problem]
) -> str | None:
    """Cross-language checks; return the source language if it can be decided."""
    if not variants:
        return None
    ordered = sorted(variants.values(), key=lambda v: language_rank(v.language))
    first = ordered[0]
    source_language = first.source_language
    if source_language not in files.index:
        problems.append(
            make_problem(
                str(first.path),
                first.line_of("source_language"),
                N_("'source_language' is %(source)s but there is no index.%(source)s.md here"),
                source=source_language,
            )
        )
        return None
    reference = variants.get(source_language)
    if reference is None:
        return None  # the source file has errors of its own
    for variant in ordered:
        if variant is not reference:
            problems.extend(_disagreements(variant, reference))
            problems.extend(_revision_problems(variant, reference, source_language))
    return source_language if source_language in variants else None


def _disagreements(variant: VariantSource, reference: VariantSource) -> list[Problem]:
    """Properties of the module (MODULE_KEYS) that differ from the source language's file."""
    return [
        make_problem(
            str(variant.path),
            variant.line_of(key),
            N_(
                "'%(key)s' is '%(value)s' here but '%(other)s' in %(other_file)s: "
                "it must be the same in every language"
            ),
            key=key,
            value=_shown(getattr(variant, key)),
            other=_shown(getattr(reference, key)),
            other_file=reference.path.name,
        )
        for key in MODULE_KEYS
        if getattr(variant, key) != getattr(reference, key)
    ]


def _revision_problems(
    variant: VariantSource, reference: VariantSource, source_language: str
) -> list[Problem]:
    """A translation follows a revision the source has not reached (error) or an older one."""
    revision, translates = reference.revision or 1, variant.translates or 0
    if translates > revision:
        template = N_(
            "'translates' is %(translates)d but the source (%(source)s) is only "
            "at revision %(revision)d"
        )
        severity = ERROR
    elif translates < revision:
        template = N_(
            "translation out of date: it follows revision %(translates)d but the "
            "source (%(source)s) is at revision %(revision)d"
        )
        severity = WARNING
    else:
        return []
    problem = make_problem(
        str(variant.path),
        variant.line_of("translates"),
        template,
        severity,
        translates=translates,
        source=source_language,
        revision=revision,
    )
    return [problem]


def _shown(value: Any) -> str:
    return "(none)" if value is None else str(value)


def write_module_folder(
    module: ModuleSource,
    dest: str | Path,
    *,
    read_media: Callable[[Path], bytes] | None = None,
) -> Path:
    """Write a module as a folder (`dest` is the module folder itself) and return it.

    `dest` should be empty or the module's own folder: files already there are not removed.
    Media are copied from `module.folder`, or taken from `read_media(relative_path)` when the
    module comes from the database. Reading the folder back gives the same content hashes.
    """
    dest = Path(dest)
    dest.mkdir(parents=True, exist_ok=True)
    for language, variant in module.variants.items():
        (dest / f"index.{language}.md").write_text(format_variant(variant), encoding="utf-8")
    same_folder = dest.resolve() == Path(module.folder).resolve()
    for relative in module.media:
        target = dest / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        if read_media is not None:
            target.write_bytes(read_media(relative))
        elif not same_folder:
            shutil.copyfile(Path(module.folder) / relative, target)
    return dest
