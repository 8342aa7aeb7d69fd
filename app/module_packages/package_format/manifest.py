"""The module package's names, limits and records: what manifest.json says and where files sit.

Pure: no Flask, no database.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

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
MAX_LICENCE_TEXT = 20_000
MAX_URL_LENGTH = 500
MAX_LABEL_LENGTH = 200

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
