"""Test data for module packages: a module with media and a quiz, packages, crafted archives."""

from __future__ import annotations

import hashlib
import io
import json
import stat
import zipfile
from collections.abc import Mapping
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select

from app.assessment.models import Quiz, QuizVersion
from app.content.models import MediaFile, Module, ModuleVersion
from app.extensions import db
from app.module_packages.package_format.archive_writer import write_package
from app.module_packages.package_format.manifest import Licence, Origin, PackageFile, listing_sha256
from tests.content.builders import import_paths, tiny_png, write_module

NOW = datetime(2027, 2, 1, 9, 30, tzinfo=UTC)
LICENCE = Licence("CC-BY-4.0", "https://spdx.org/licenses/CC-BY-4.0.html")

QUIZ_YAML = """\
id: {quiz}
module: {module}
title:
  en: "Check: online tax return"
  fr: "Contrôle : déclaration en ligne"
pass_mark: 80
questions:
  - id: deadline
    type: single
    stem:
      en: When is the deadline?
      fr: Quel est le délai ?
    explanation:
      en: The canton's deadline is the end of March.
      fr: Le délai du canton est la fin mars.
    options:
      - id: march
        text:
          en: End of March
          fr: Fin mars
        correct: true
      - id: june
        text:
          en: End of June
          fr: Fin juin
  - id: eid
    type: truefalse
    stem:
      en: The eID is enough to sign in.
      fr: L'eID suffit pour se connecter.
    answer: true
"""

BODY = (
    "## Before you start\n\nHave the letter ready.\n\n![The log-in page](media/login.png)\n\n"
    "> [!TIP]\n> Say it slowly.\n\n## Sign in\n\n```steps\nOpen the counter\nChoose eID\n```\n"
)


def shipped_module(root: Path, slug: str = "tax-online", provider: str = "ju-it") -> None:
    """Write and import a two-language module with a picture and a quiz, owned by `provider`."""
    write_module(
        root / "courses",
        slug,
        languages=("en", "fr"),
        source_language="en",
        provider=provider,
        media={"media/login.png": tiny_png(3, 2)},
        body=BODY,
    )
    quizzes = root / "quizzes"
    quizzes.mkdir(parents=True, exist_ok=True)
    (quizzes / f"{slug}-quiz.yaml").write_text(
        QUIZ_YAML.format(quiz=f"{slug}-quiz", module=slug), encoding="utf-8"
    )
    import_paths([root / "courses"], quiz_paths=[quizzes])


def valid_package_files(slug: str = "mod") -> dict[str, bytes]:
    """The files of a small valid package (no media), for tests of the archive reader."""
    text = (
        f"---\nid: {slug}\ntitle: A module\nsummary: Short.\nlanguage: en\nsource_language: en\n"
        f"revision: 1\nprovider: far-away\nminutes: 5\n---\n\n## One\n\nText.\n"
    )
    return {f"courses/{slug}/index.en.md": text.encode()}


def write_valid_package(target: Path, slug: str = "mod", **overrides) -> Path:
    """A package as the exporter writes it, for the archive reader's tests."""
    write_package(
        target,
        overrides.pop("files", None) or valid_package_files(slug),
        slug=slug,
        titles={"en": "A module"},
        source_language="en",
        content_version=2,
        licence=LICENCE,
        origin=Origin("Far Away IT", "https://far.example.org", slug, "A module", 2),
        quizzes=overrides.pop("quizzes", ()),
        now=NOW,
    )
    return target


def rewrite_package(
    source: Path,
    target: Path,
    *,
    replace: Mapping[str, bytes] | None = None,
    manifest: dict | None = None,
    drop: tuple[str, ...] = (),
    extra: Mapping[str, bytes] | None = None,
) -> Path:
    """Copy a package, changing members (a tampered package)."""
    with zipfile.ZipFile(source) as old, zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as new:
        for info in old.infolist():
            if info.filename in drop:
                continue
            data = old.read(info)
            if info.filename == "manifest.json" and manifest is not None:
                data = json.dumps(manifest).encode()
            elif replace and info.filename in replace:
                data = replace[info.filename]
            new.writestr(info, data)
        for name, data in (extra or {}).items():
            new.writestr(name, data)
    return target


def repack(source: Path, target: Path, replace: Mapping[str, bytes]) -> Path:
    """Change files and recompute their checksums: a package edited by someone who knows how."""
    manifest = read_manifest(source)
    for entry in manifest["files"]:
        if entry["path"] in replace:
            data = replace[entry["path"]]
            entry["size"] = len(data)
            entry["sha256"] = hashlib.sha256(data).hexdigest()
    manifest["listing_sha256"] = listing_sha256(PackageFile(**f) for f in manifest["files"])
    return rewrite_package(source, target, replace=replace, manifest=manifest)


def read_manifest(path: Path) -> dict:
    """The manifest of a package, as a dict."""
    with zipfile.ZipFile(path) as archive:
        return json.loads(archive.read("manifest.json"))


def zip_with(target: Path, members: list[tuple[zipfile.ZipInfo | str, bytes]]) -> Path:
    """A zip with exactly these members (names are not checked: that is the point)."""
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive:
        for info, data in members:
            archive.writestr(info, data)
    return target


def symlink_info(name: str) -> zipfile.ZipInfo:
    """A member that unpacks as a symbolic link (Unix mode bits in external_attr)."""
    info = zipfile.ZipInfo(name)
    info.create_system = 3
    info.external_attr = (stat.S_IFLNK | 0o777) << 16
    return info


def zeros_bomb(target: Path, name: str, size: int) -> Path:
    """A member of `size` zero bytes, streamed in so the test never holds it in memory."""
    info = zipfile.ZipInfo(name)
    info.compress_type = zipfile.ZIP_DEFLATED
    with (
        zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as archive,
        archive.open(info, "w", force_zip64=True) as handle,
    ):
        chunk = bytes(1 << 20)
        left = size
        while left > 0:
            handle.write(chunk[: min(left, len(chunk))])
            left -= len(chunk)
    return target


def understate_size(path: Path, name: str, declared: int) -> None:
    """Make the archive declare `declared` bytes for `name` while its data holds more."""
    raw = bytearray(path.read_bytes())
    encoded = name.encode()
    for signature, size_offset, name_offset in ((b"PK\x03\x04", 22, 30), (b"PK\x01\x02", 24, 46)):
        start = 0
        while (at := raw.find(signature, start)) >= 0:
            if raw[at + name_offset : at + name_offset + len(encoded)] == encoded:
                raw[at + size_offset : at + size_offset + 4] = declared.to_bytes(4, "little")
            start = at + 4
    path.write_bytes(bytes(raw))


def counts() -> dict[str, int]:
    """Rows that an import would add, to prove a refused one added none."""
    return {
        model.__name__: db.session.scalar(select(func.count()).select_from(model)) or 0
        for model in (Module, ModuleVersion, MediaFile, Quiz, QuizVersion)
    }


def files_under(folder: Path) -> list[Path]:
    """Every file under a folder (the media store, its staging folder included)."""
    return sorted(p for p in folder.rglob("*") if p.is_file()) if folder.exists() else []


def as_upload(path: Path) -> tuple[io.BytesIO, str]:
    """A package as the test client uploads it."""
    return io.BytesIO(path.read_bytes()), path.name
