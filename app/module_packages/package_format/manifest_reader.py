"""Reading manifest.json field by field; every problem names the field at fault.

Pure: no Flask, no database.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from app.content.module_format import SLUG_RE
from app.i18n.markers import N_
from app.module_packages.package_format.manifest import (
    FORMAT_NAME,
    FORMAT_VERSION,
    MANIFEST_NAME,
    MAX_LABEL_LENGTH,
    MAX_LICENCE_TEXT,
    MAX_SLUG_LENGTH,
    MAX_URL_LENGTH,
    SPDX_ID_RE,
    Licence,
    Manifest,
    Origin,
    PackageFile,
    PackageRefused,
    entry_name_problem,
    refuse,
)
from app.web.problems import Problem, make_problem

MAX_QUIZZES = 10
MAX_UPSTREAM = 10
_URL_RE = re.compile(r"^https?://[^\s<>\"'\x00-\x1f\x7f]+$")
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")


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
    data = _package_data(raw)
    reader = _ManifestReader()
    module = reader.mapping(data, "module")
    slug = reader.slug(module, "slug", "module.")
    source_language = reader.text(module, "source_language", "module.", limit=5)
    content_version = reader.integer(module, "content_version", "module.")
    titles = _titles(reader, module.get("titles"))
    languages = module.get("languages")
    if not isinstance(languages, list) or not all(isinstance(x, str) for x in languages):
        reader.problem("module.languages", N_("a list of languages expected"))
        languages = []
    licence = _licence(reader, reader.mapping(data, "licence"))
    origin = _origin(reader, reader.mapping(data, "origin"))
    created_at = _timestamp(reader, data.get("created_at"))
    quizzes = _quizzes(reader, data.get("quizzes", []))
    files = _files(reader, data.get("files"))
    stated = data.get("listing_sha256")
    if not isinstance(stated, str) or not _SHA256_RE.match(stated):
        reader.problem("listing_sha256", N_("a SHA-256 in hexadecimal expected"))
    if reader.problems:
        raise PackageRefused(reader.problems)
    assert slug and source_language and content_version and licence and origin and created_at
    return Manifest(
        slug=slug,
        titles=titles,
        languages=tuple(languages),
        source_language=source_language,
        content_version=content_version,
        licence=licence,
        origin=origin,
        created_at=created_at,
        files=files,
        quizzes=tuple(quizzes),
        stated_listing_sha256=str(stated),
    )


def _package_data(raw: bytes) -> dict[str, Any]:
    """The manifest's JSON object, refused unless it names this format in a version read here."""
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
    return data


def _titles(reader: _ManifestReader, value: Any) -> dict[str, str]:
    """The module's title in each language."""
    if not isinstance(value, dict) or not all(
        isinstance(k, str) and isinstance(v, str) and len(v) <= MAX_LABEL_LENGTH
        for k, v in value.items()
    ):
        reader.problem("module.titles", N_("an object of language: title expected"))
        return {}
    return {str(k): str(v) for k, v in value.items()}


def _licence(reader: _ManifestReader, data: Mapping[str, Any]) -> Licence | None:
    """The licence: an SPDX id, and for a licence of one's own its text or address."""
    spdx = reader.text(data, "spdx", "licence.", limit=100)
    if spdx is not None and not SPDX_ID_RE.match(spdx):
        reader.problem("licence.spdx", N_("an SPDX licence id expected, like CC-BY-4.0"))
    text = reader.text(data, "text", "licence.", limit=MAX_LICENCE_TEXT, optional=True)
    url = reader.url(data, "url", "licence.", optional=True)
    if spdx and spdx.startswith("LicenseRef-") and not (url or text):
        reader.problem("licence", N_("a licence of your own needs its text or its address"))
    return Licence(spdx=spdx, url=url, text=text) if spdx else None


def _origin(reader: _ManifestReader, data: Mapping[str, Any]) -> Origin | None:
    """Who published the packaged module, where, and as which id and version."""
    provider = reader.text(data, "provider", "origin.", limit=MAX_LABEL_LENGTH)
    installation = reader.url(data, "installation", "origin.", optional=False)
    slug = reader.slug(data, "slug", "origin.")
    title = reader.text(data, "title", "origin.", limit=MAX_LABEL_LENGTH)
    version = reader.integer(data, "content_version", "origin.")
    upstream = _upstream(reader, data.get("upstream", []))
    if not (provider and installation and slug and title and version):
        return None
    return Origin(
        provider=provider,
        installation=installation,
        slug=slug,
        title=title,
        content_version=version,
        upstream=upstream,
    )


def _quizzes(reader: _ManifestReader, value: Any) -> list[str]:
    """The ids of the module's quizzes, a few at most."""
    if (
        not isinstance(value, list)
        or len(value) > MAX_QUIZZES
        or not all(isinstance(q, str) and SLUG_RE.match(q) and len(q) <= 64 for q in value)
    ):
        reader.problem(
            "quizzes", N_("a list of at most %(max)d quiz ids expected"), max=MAX_QUIZZES
        )
        return []
    return value


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
