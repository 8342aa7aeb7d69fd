"""Reading a module package: check every member, then unpack and verify each file.

Nothing in the archive is trusted: names, kinds, counts and declared sizes are checked before
a byte is unpacked, and bytes are counted while unpacking. Pure: no Flask, no database.
"""

from __future__ import annotations

import hashlib
import io
import stat
import unicodedata
import zipfile
from collections.abc import Mapping
from pathlib import Path, PurePosixPath
from typing import Any

from app.i18n.markers import N_
from app.module_packages.package_format.manifest import (
    MANIFEST_NAME,
    Manifest,
    PackageLimits,
    PackageRefused,
    entry_name_problem,
    module_prefix,
    quiz_name,
    refuse,
)
from app.module_packages.package_format.manifest_reader import parse_manifest
from app.web.problems import Problem, make_problem

_CHUNK = 1 << 16


def _is_link_or_special(info: zipfile.ZipInfo) -> bool:
    """True for symbolic links, devices and pipes (only the Unix mode bits can say so)."""
    mode = info.external_attr >> 16
    if not mode:
        return False
    kind = stat.S_IFMT(mode)
    return kind not in (0, stat.S_IFREG, stat.S_IFDIR)


def _same_name_key(name: str) -> str:
    """Names that one file system could store as one file (case, Unicode form)."""
    return unicodedata.normalize("NFC", name).casefold()


def _check_members(
    archive: zipfile.ZipFile, limits: PackageLimits, label: str
) -> list[zipfile.ZipInfo]:
    """Check every member before anything is read; return the regular files."""
    infos = archive.infolist()
    if len(infos) > limits.max_files:
        raise refuse(
            label,
            N_("the package holds %(count)d files, at most %(max)d are allowed"),
            count=len(infos),
            max=limits.max_files,
        )
    problems: list[Problem] = []
    seen: dict[str, str] = {}
    files = []
    for info in infos:
        problem = _member_problem(info, limits, seen)
        if problem is not None:
            problems.append(problem)
        elif not info.is_dir():
            files.append(info)
    if problems:
        raise PackageRefused(problems)
    declared_total = sum(info.file_size for info in files)
    if declared_total > limits.max_total_bytes:
        raise refuse(
            label,
            N_("the package unpacks to %(size)d bytes, at most %(max)d are allowed"),
            size=declared_total,
            max=limits.max_total_bytes,
        )
    return files


def _member_problem(
    info: zipfile.ZipInfo, limits: PackageLimits, seen: dict[str, str]
) -> Problem | None:
    """What is wrong with one member (name, kind, encryption, size), or None; notes its name."""
    name = info.filename
    reason = entry_name_problem(name)
    if reason is not None:
        return make_problem(name or "?", 0, reason)
    key = _same_name_key(name.rstrip("/"))
    if key in seen:
        return make_problem(
            name, 0, N_("this name appears twice in the package (as %(other)s)"), other=seen[key]
        )
    seen[key] = name
    if _is_link_or_special(info):
        return make_problem(name, 0, N_("links (symlinks) and special files are not allowed"))
    if info.is_dir():
        return None
    if info.flag_bits & 0x1:
        return make_problem(name, 0, N_("encrypted files are not allowed"))
    if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
        return make_problem(name, 0, N_("unsupported compression: use stored or deflate"))
    limit = limits.max_manifest_bytes if name == MANIFEST_NAME else limits.max_file_bytes
    if info.file_size > limit:
        return make_problem(
            name,
            0,
            N_("the file is too large (%(size)d bytes unpacked, at most %(max)d)"),
            size=info.file_size,
            max=limit,
        )
    return None


class _Budget:
    """Bytes still allowed for the whole package, counted as they are unpacked."""

    def __init__(self, total: int) -> None:
        self.left = total


def _read_member(
    archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int, budget: _Budget, sink: Any
) -> tuple[int, str]:
    """Unpack one member into `sink` (a writable, or None), counting; return (size, sha256)."""
    digest = hashlib.sha256()
    size = 0
    try:
        with archive.open(info) as handle:
            while chunk := handle.read(_CHUNK):
                size += len(chunk)
                budget.left -= len(chunk)
                # zipfile stops at the declared size; counting guards against any reader
                # that does not, and against a total that grows past the declared sum.
                if size > info.file_size or size > limit:
                    raise refuse(
                        info.filename, N_("the file unpacks to more bytes than it declares")
                    )
                if budget.left < 0:
                    raise refuse(
                        info.filename, N_("the package unpacks to more bytes than allowed")
                    )
                digest.update(chunk)
                if sink is not None:
                    sink.write(chunk)
    except (zipfile.BadZipFile, OSError, EOFError, ValueError) as exc:
        if isinstance(exc, PackageRefused):
            raise
        raise refuse(
            info.filename, N_("the file is damaged inside the archive (%(reason)s)"), reason=exc
        ) from exc
    if size != info.file_size:
        raise refuse(info.filename, N_("the file is shorter than the archive declares"))
    return size, digest.hexdigest()


def open_package(
    path: Path, dest: Path, limits: PackageLimits, *, label: str | None = None
) -> Manifest:
    """Check a package and unpack its files under `dest`; raise PackageRefused on any problem.

    Checked in this order, so nothing is unpacked from a package refused early: the archive
    size, the member names and kinds, the member count and declared sizes, the manifest and
    its format version, the listing against the members, then each file's bytes (counted while
    unpacking) against its size and SHA-256. Problems of the whole package are named after
    `label` (the name the person gave the file), those of a member after the member.
    """
    label = label or path.name
    size = path.stat().st_size
    if size > limits.max_archive_bytes:
        raise refuse(
            label,
            N_("the package is too large (%(size)d bytes, at most %(max)d)"),
            size=size,
            max=limits.max_archive_bytes,
        )
    try:
        archive = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError, ValueError) as exc:
        raise refuse(label, N_("this is not a zip file (%(reason)s)"), reason=exc) from exc
    with archive:
        members = {info.filename: info for info in _check_members(archive, limits, label)}
        manifest_info = members.pop(MANIFEST_NAME, None)
        if manifest_info is None:
            raise refuse(MANIFEST_NAME, N_("the package has no manifest.json"))
        budget = _Budget(limits.max_total_bytes)

        collected = io.BytesIO()
        _read_member(archive, manifest_info, limits.max_manifest_bytes, budget, collected)
        manifest = parse_manifest(collected.getvalue())
        _check_listing(manifest, members)
        for entry in manifest.files:
            info = members[entry.path]
            target = dest.joinpath(*PurePosixPath(entry.path).parts)
            # The names were checked above; this guards the rule itself against a slip.
            if not target.resolve().is_relative_to(dest.resolve()):
                raise refuse(entry.path, N_("absolute paths are not allowed inside a package"))
            target.parent.mkdir(parents=True, exist_ok=True)
            with open(target, "xb") as sink:
                _, digest = _read_member(archive, info, limits.max_file_bytes, budget, sink)
            if digest != entry.sha256:
                target.unlink()
                raise refuse(
                    entry.path,
                    N_(
                        "the file does not match its checksum in manifest.json: it was changed "
                        "or damaged after the package was made"
                    ),
                )
    return manifest


def _check_listing(manifest: Manifest, members: Mapping[str, zipfile.ZipInfo]) -> None:
    """The manifest lists exactly the archive's files, under the module's and quizzes' folders."""
    problems = []
    if manifest.listing_sha256 != manifest.stated_listing_sha256:
        problems.append(
            make_problem(MANIFEST_NAME, 0, N_("the file listing does not match its checksum"))
        )
    listed = {f.path: f for f in manifest.files}
    prefix = module_prefix(manifest.slug)
    quiz_files = {quiz_name(q) for q in manifest.quizzes}
    for path, entry in sorted(listed.items()):
        if not path.startswith(prefix) and path not in quiz_files:
            problems.append(
                make_problem(
                    path,
                    0,
                    N_("only the module folder %(folder)s and its quizzes belong in a package"),
                    folder=prefix,
                )
            )
        elif path not in members:
            problems.append(
                make_problem(path, 0, N_("listed in manifest.json but missing from the package"))
            )
        elif members[path].file_size != entry.size:
            problems.append(
                make_problem(
                    path,
                    0,
                    N_("its size (%(size)d bytes) differs from manifest.json (%(listed)d)"),
                    size=members[path].file_size,
                    listed=entry.size,
                )
            )
    for path in sorted(set(members) - set(listed)):
        problems.append(make_problem(path, 0, N_("this file is not listed in manifest.json")))
    for quiz in manifest.quizzes:
        if quiz_name(quiz) not in listed:
            problems.append(
                make_problem(quiz_name(quiz), 0, N_("the quiz is named but its file is missing"))
            )
    if problems:
        raise PackageRefused(problems)
