"""The module package file (docs/FORMATS.md): a zip with a manifest, read defensively.

A package holds `manifest.json`, one module folder `courses/<id>/` in the library format and
its quiz files `quizzes/<quiz-id>.yaml`. The manifest names the format version, the module,
its licence and origin, and the size and SHA-256 of every other file plus a SHA-256 of that
listing. The checksums catch damaged or edited files; they are not a signature (whoever edits
a package can recompute them), so the origin shown is what the package claims.

Reading never trusts the archive: names, kinds, counts and declared sizes are checked before a
byte is unpacked, bytes are counted while unpacking, and every problem names the file inside
the archive. Pure: no Flask, no database.
"""

from __future__ import annotations

import hashlib
import io
import json
import re
import stat
import unicodedata
import zipfile
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path, PurePosixPath
from typing import Any

from app.content.module_format import SLUG_RE
from app.i18n.markers import N_
from app.web.problems import Problem, make_problem

FORMAT_NAME = "counter-ready-module-package"
FORMAT_VERSION = 1
MANIFEST_NAME = "manifest.json"
COURSES_FOLDER = "courses"
QUIZZES_FOLDER = "quizzes"
QUIZ_SUFFIX = ".yaml"
MAX_SLUG_LENGTH = 100
MAX_NAME_LENGTH = 255
MAX_QUIZZES = 10
MAX_UPSTREAM = 10
MAX_LICENCE_TEXT = 20_000
MAX_URL_LENGTH = 500
MAX_LABEL_LENGTH = 200
_CHUNK = 1 << 16

# SPDX licence ids (https://spdx.org/licenses/) trainers choose from when they share a module;
# packages may carry any id of SPDX syntax, or a LicenseRef- with its text or address.
COMMON_LICENCES = (
    "CC-BY-4.0",
    "CC-BY-SA-4.0",
    "CC-BY-NC-4.0",
    "CC-BY-NC-SA-4.0",
    "CC-BY-ND-4.0",
    "CC0-1.0",
)
CUSTOM_LICENCE = "LicenseRef-custom"
SPDX_ID_RE = re.compile(r"^(?:LicenseRef-[A-Za-z0-9.-]+|[A-Za-z0-9][A-Za-z0-9.+-]*)$")
_URL_RE = re.compile(r"^https?://[^\s<>\"'\x00-\x1f\x7f]+$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_CONTROL_RE = re.compile(r"[\x00-\x1f\x7f]")


@dataclass(frozen=True)
class PackageLimits:
    """How much a package may hold; everything beyond is refused before it is unpacked."""

    max_archive_bytes: int = 100 * 2**20
    max_total_bytes: int = 200 * 2**20
    max_file_bytes: int = 50 * 2**20
    max_files: int = 500
    max_manifest_bytes: int = 2**20


class PackageRefused(ValueError):
    """The package cannot be imported; `problems` name the file inside the archive."""

    def __init__(self, problems: list[Problem]) -> None:
        self.problems = problems
        super().__init__("\n".join(str(p) for p in problems))


def refuse(file: str, template: str, **params: Any) -> PackageRefused:
    """One refusal with one problem, named after a file of the archive."""
    return PackageRefused([make_problem(file, 0, template, **params)])


@dataclass(frozen=True)
class Licence:
    """Under which terms a module may be used and adapted: an SPDX id, its address or text."""

    spdx: str
    url: str | None = None
    text: str | None = None

    def to_dict(self) -> dict[str, Any]:
        """The manifest's `licence` object."""
        return {"spdx": self.spdx, "url": self.url, "text": self.text}


def licence_url(spdx: str) -> str | None:
    """The SPDX page of a listed licence (a link for people; never fetched by the server)."""
    return None if spdx.startswith("LicenseRef-") else f"https://spdx.org/licenses/{spdx}.html"


@dataclass(frozen=True)
class Origin:
    """Who published the module that was packaged, where, and as which id and version."""

    provider: str
    installation: str
    slug: str
    title: str
    content_version: int
    upstream: tuple[dict[str, Any], ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """The manifest's `origin` object (also what an imported module records)."""
        return {
            "provider": self.provider,
            "installation": self.installation,
            "slug": self.slug,
            "title": self.title,
            "content_version": self.content_version,
            "upstream": [dict(item) for item in self.upstream],
        }


@dataclass(frozen=True)
class PackageFile:
    """One file of the package as the manifest lists it."""

    path: str
    size: int
    sha256: str

    def to_dict(self) -> dict[str, Any]:
        """The manifest's entry for this file."""
        return {"path": self.path, "size": self.size, "sha256": self.sha256}


@dataclass(frozen=True)
class Manifest:
    """What `manifest.json` says about the package."""

    slug: str
    titles: dict[str, str]
    languages: tuple[str, ...]
    source_language: str
    content_version: int
    licence: Licence
    origin: Origin
    created_at: datetime
    files: tuple[PackageFile, ...]
    quizzes: tuple[str, ...] = ()
    format_version: int = FORMAT_VERSION
    # The listing hash as manifest.json states it (empty for a manifest being written).
    stated_listing_sha256: str = field(default="", compare=False)

    @property
    def listing_sha256(self) -> str:
        """The SHA-256 of the file listing (paths, sizes and hashes)."""
        return listing_sha256(self.files)

    @property
    def total_size(self) -> int:
        """The unpacked size of every listed file."""
        return sum(f.size for f in self.files)

    def to_dict(self) -> dict[str, Any]:
        """The manifest as written to `manifest.json`."""
        return {
            "format": FORMAT_NAME,
            "format_version": self.format_version,
            "module": {
                "slug": self.slug,
                "titles": dict(self.titles),
                "languages": list(self.languages),
                "source_language": self.source_language,
                "content_version": self.content_version,
            },
            "quizzes": list(self.quizzes),
            "licence": self.licence.to_dict(),
            "origin": self.origin.to_dict(),
            "created_at": self.created_at.astimezone(UTC).isoformat().replace("+00:00", "Z"),
            "files": [f.to_dict() for f in sorted(self.files, key=lambda f: f.path)],
            "listing_sha256": self.listing_sha256,
        }


def listing_sha256(files: Iterable[PackageFile]) -> str:
    """SHA-256 over the canonical JSON of the listing, sorted by path."""
    listing = [f.to_dict() for f in sorted(files, key=lambda f: f.path)]
    encoded = json.dumps(listing, sort_keys=True, ensure_ascii=False, separators=(",", ":"))
    return hashlib.sha256(encoded.encode("utf-8")).hexdigest()


def module_prefix(slug: str) -> str:
    """Where the module's files sit in the archive."""
    return f"{COURSES_FOLDER}/{slug}/"


def quiz_name(quiz_id: str) -> str:
    """Where a quiz file sits in the archive."""
    return f"{QUIZZES_FOLDER}/{quiz_id}{QUIZ_SUFFIX}"


# --- Writing ---------------------------------------------------------------------------------


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


# --- Reading ---------------------------------------------------------------------------------


def entry_name_problem(name: str) -> str | None:
    """Why an archive member name is unsafe or foreign, or None when it is fine."""
    if not name or len(name) > MAX_NAME_LENGTH:
        return N_("the name is empty or too long")
    if _CONTROL_RE.search(name):
        return N_("the name contains control characters")
    if "\\" in name:
        return N_("the name contains a backslash: paths inside a package use /")
    if name.startswith("/") or re.match(r"^[A-Za-z]:", name):
        return N_("absolute paths are not allowed inside a package")
    parts = name.rstrip("/").split("/")
    if any(part in ("..", ".") for part in parts):
        return N_("paths that climb out of the package (..) are not allowed")
    if any(part == "" for part in parts) or ":" in name:
        return N_("the name is not a plain relative path")
    return None


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
    declared_total = 0
    for info in infos:
        name = info.filename
        reason = entry_name_problem(name)
        if reason is not None:
            problems.append(make_problem(name or "?", 0, reason))
            continue
        key = _same_name_key(name.rstrip("/"))
        if key in seen:
            problems.append(
                make_problem(
                    name,
                    0,
                    N_("this name appears twice in the package (as %(other)s)"),
                    other=seen[key],
                )
            )
            continue
        seen[key] = name
        if _is_link_or_special(info):
            problems.append(
                make_problem(name, 0, N_("links (symlinks) and special files are not allowed"))
            )
            continue
        if info.is_dir():
            continue
        if info.flag_bits & 0x1:
            problems.append(make_problem(name, 0, N_("encrypted files are not allowed")))
            continue
        if info.compress_type not in (zipfile.ZIP_STORED, zipfile.ZIP_DEFLATED):
            problems.append(
                make_problem(name, 0, N_("unsupported compression: use stored or deflate"))
            )
            continue
        limit = limits.max_manifest_bytes if name == MANIFEST_NAME else limits.max_file_bytes
        if info.file_size > limit:
            problems.append(
                make_problem(
                    name,
                    0,
                    N_("the file is too large (%(size)d bytes unpacked, at most %(max)d)"),
                    size=info.file_size,
                    max=limit,
                )
            )
            continue
        declared_total += info.file_size
        files.append(info)
    if problems:
        raise PackageRefused(problems)
    if declared_total > limits.max_total_bytes:
        raise refuse(
            label,
            N_("the package unpacks to %(size)d bytes, at most %(max)d are allowed"),
            size=declared_total,
            max=limits.max_total_bytes,
        )
    return files


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


# --- The manifest ----------------------------------------------------------------------------


class _ManifestReader:
    """Read manifest.json field by field; each problem names the field."""

    def __init__(self) -> None:
        self.problems: list[Problem] = []

    def problem(self, key: str, template: str, **params: Any) -> None:
        # The field goes with the file name, so the message stays one translatable template.
        self.problems.append(make_problem(f"{MANIFEST_NAME} ({key})", 0, template, **params))

    def text(
        self, data: Mapping[str, Any], key: str, where: str, *, limit: int, optional: bool = False
    ) -> str | None:
        value = data.get(key)
        name = f"{where}{key}"
        if value is None and optional:
            return None
        if not isinstance(value, str) or not value.strip():
            self.problem(name, N_("text expected"))
            return None
        if len(value) > limit or ("\x00" in value):
            self.problem(name, N_("too long (at most %(max)d characters) or not text"), max=limit)
            return None
        return value

    def url(self, data: Mapping[str, Any], key: str, where: str, *, optional: bool) -> str | None:
        value = self.text(data, key, where, limit=MAX_URL_LENGTH, optional=optional)
        if value is not None and not _URL_RE.match(value):
            self.problem(f"{where}{key}", N_("an http:// or https:// address expected"))
            return None
        return value

    def integer(self, data: Mapping[str, Any], key: str, where: str) -> int | None:
        value = data.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 10**9:
            self.problem(f"{where}{key}", N_("a whole number of at least 1 expected"))
            return None
        return value

    def slug(self, data: Mapping[str, Any], key: str, where: str) -> str | None:
        value = self.text(data, key, where, limit=MAX_SLUG_LENGTH)
        if value is not None and not SLUG_RE.match(value):
            self.problem(f"{where}{key}", N_("an id of lowercase letters, digits and - expected"))
            return None
        return value

    def mapping(self, data: Mapping[str, Any], key: str) -> Mapping[str, Any]:
        value = data.get(key)
        if not isinstance(value, dict):
            self.problem(key, N_("an object expected"))
            return {}
        return value


def parse_manifest(raw: bytes) -> Manifest:
    """Check manifest.json; raise PackageRefused naming the field at fault."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise refuse(MANIFEST_NAME, N_("not valid JSON (%(reason)s)"), reason=exc) from exc
    if not isinstance(data, dict) or data.get("format") != FORMAT_NAME:
        raise refuse(MANIFEST_NAME, N_("this is not a module package of this platform"))
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise refuse(
            MANIFEST_NAME,
            N_(
                "format version %(version)s is not supported (this platform reads version %(ours)d)"
            ),
            version=json.dumps(version),
            ours=FORMAT_VERSION,
        )
    reader = _ManifestReader()
    module = reader.mapping(data, "module")
    slug = reader.slug(module, "slug", "module.")
    source_language = reader.text(module, "source_language", "module.", limit=5)
    content_version = reader.integer(module, "content_version", "module.")
    titles = module.get("titles")
    if not isinstance(titles, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and len(v) <= MAX_LABEL_LENGTH
        for k, v in titles.items()
    ):
        reader.problem("module.titles", N_("an object of language: title expected"))
        titles = {}
    languages = module.get("languages")
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        reader.problem("module.languages", N_("a list of languages expected"))
        languages = []

    licence_data = reader.mapping(data, "licence")
    spdx = reader.text(licence_data, "spdx", "licence.", limit=100)
    if spdx is not None and not SPDX_ID_RE.match(spdx):
        reader.problem("licence.spdx", N_("an SPDX licence id expected, like CC-BY-4.0"))
    licence_text = reader.text(
        licence_data, "text", "licence.", limit=MAX_LICENCE_TEXT, optional=True
    )
    url = reader.url(licence_data, "url", "licence.", optional=True)
    if spdx and spdx.startswith("LicenseRef-") and not (url or licence_text):
        reader.problem("licence", N_("a licence of your own needs its text or its address"))

    origin_data = reader.mapping(data, "origin")
    provider = reader.text(origin_data, "provider", "origin.", limit=MAX_LABEL_LENGTH)
    installation = reader.url(origin_data, "installation", "origin.", optional=False)
    origin_slug = reader.slug(origin_data, "slug", "origin.")
    origin_title = reader.text(origin_data, "title", "origin.", limit=MAX_LABEL_LENGTH)
    origin_version = reader.integer(origin_data, "content_version", "origin.")
    upstream = _upstream(reader, origin_data.get("upstream", []))

    created_at = _timestamp(reader, data.get("created_at"))
    quizzes = data.get("quizzes", [])
    if (
        not isinstance(quizzes, list)
        or len(quizzes) > MAX_QUIZZES
        or not all(isinstance(q, str) and SLUG_RE.match(q) and len(q) <= 64 for q in quizzes)
    ):
        reader.problem(
            "quizzes", N_("a list of at most %(max)d quiz ids expected"), max=MAX_QUIZZES
        )
        quizzes = []
    files = _files(reader, data.get("files"))
    stated = data.get("listing_sha256")
    if not isinstance(stated, str) or not _SHA256_RE.match(stated):
        reader.problem("listing_sha256", N_("a SHA-256 in hexadecimal expected"))
    if reader.problems:
        raise PackageRefused(reader.problems)
    assert slug and source_language and content_version and spdx and created_at
    assert provider and installation and origin_slug and origin_title and origin_version
    return Manifest(
        slug=slug,
        titles={str(k): str(v) for k, v in titles.items()},
        languages=tuple(languages),
        source_language=source_language,
        content_version=content_version,
        licence=Licence(spdx=spdx, url=url, text=licence_text),
        origin=Origin(
            provider=provider,
            installation=installation,
            slug=origin_slug,
            title=origin_title,
            content_version=origin_version,
            upstream=upstream,
        ),
        created_at=created_at,
        files=files,
        quizzes=tuple(quizzes),
        stated_listing_sha256=str(stated),
    )


def _timestamp(reader: _ManifestReader, value: Any) -> datetime | None:
    if isinstance(value, str):
        try:
            parsed = datetime.fromisoformat(value.replace("Z", "+00:00"))
        except ValueError:
            parsed = None
        if parsed is not None and parsed.tzinfo is not None:
            return parsed.astimezone(UTC)
    reader.problem("created_at", N_("a date and time with its time zone expected"))
    return None


def _upstream(reader: _ManifestReader, value: Any) -> tuple[dict[str, Any], ...]:
    """Earlier origins of an adapted module: kept as plain labels, a few at most."""
    if not isinstance(value, list) or len(value) > MAX_UPSTREAM:
        reader.problem("origin.upstream", N_("a list of at most %(max)d origins"), max=MAX_UPSTREAM)
        return ()
    items = []
    for item in value:
        if not isinstance(item, dict):
            reader.problem("origin.upstream", N_("an object expected"))
            continue
        clean = {}
        for key in ("provider", "installation", "slug", "title"):
            text = item.get(key)
            if text is not None and (not isinstance(text, str) or len(text) > MAX_URL_LENGTH):
                reader.problem(f"origin.upstream.{key}", N_("text expected"))
            elif text is not None:
                clean[key] = text
        version = item.get("content_version")
        if isinstance(version, int) and not isinstance(version, bool):
            clean["content_version"] = version
        items.append(clean)
    return tuple(items)


def _files(reader: _ManifestReader, value: Any) -> tuple[PackageFile, ...]:
    if not isinstance(value, list) or not value:
        reader.problem("files", N_("a list of the package's files expected"))
        return ()
    files = []
    seen: set[str] = set()
    for item in value:
        if not isinstance(item, dict):
            reader.problem("files", N_("an object expected"))
            continue
        path, size, digest = item.get("path"), item.get("size"), item.get("sha256")
        if not isinstance(path, str) or entry_name_problem(path) or path.endswith("/"):
            reader.problem("files", N_("an unsafe or missing path: %(path)s"), path=str(path)[:200])
            continue
        if path in seen:
            reader.problem("files", N_("%(path)s is listed twice"), path=path)
            continue
        seen.add(path)
        if isinstance(size, bool) or not isinstance(size, int) or size < 0:
            reader.problem("files", N_("%(path)s: a size in bytes expected"), path=path)
            continue
        if not isinstance(digest, str) or not _SHA256_RE.match(digest):
            reader.problem("files", N_("%(path)s: a SHA-256 in hexadecimal expected"), path=path)
            continue
        files.append(PackageFile(path, size, digest))
    return tuple(files)
