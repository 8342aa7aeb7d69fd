"""The package reader refuses unsafe or damaged archives before unpacking, naming the member."""

from __future__ import annotations

import zipfile
from pathlib import Path

import pytest

from app.module_packages.package_format.archive_reader import open_package
from app.module_packages.package_format.manifest import (
    FORMAT_VERSION,
    PackageFile,
    PackageLimits,
    PackageRefused,
    entry_name_problem,
    listing_sha256,
)
from tests.module_packages.package_builders import (
    read_manifest,
    rewrite_package,
    symlink_info,
    understate_size,
    write_valid_package,
    zeros_bomb,
    zip_with,
)

SMALL = PackageLimits(
    max_archive_bytes=2**20,
    max_total_bytes=2**20,
    max_file_bytes=256 * 1024,
    max_files=20,
    max_manifest_bytes=64 * 1024,
)


def refusal(path: Path, tmp_path: Path, limits: PackageLimits = SMALL) -> list[str]:
    """Open the package; return the problems as `file: message`, asserting nothing unpacked."""
    dest = tmp_path / "unpacked"
    dest.mkdir()
    with pytest.raises(PackageRefused) as caught:
        open_package(path, dest, limits)
    return [str(p) for p in caught.value.problems]


def unpacked_files(tmp_path: Path) -> list[Path]:
    return [p for p in (tmp_path / "unpacked").rglob("*") if p.is_file()]


def test_a_package_written_by_the_exporter_opens_and_matches_its_manifest(tmp_path):
    path = write_valid_package(tmp_path / "ok.zip")
    dest = tmp_path / "out"
    dest.mkdir()
    manifest = open_package(path, dest, SMALL)
    assert manifest.slug == "mod"
    assert manifest.format_version == FORMAT_VERSION
    assert manifest.licence.spdx == "CC-BY-4.0"
    assert manifest.origin.installation == "https://far.example.org"
    assert manifest.listing_sha256 == read_manifest(path)["listing_sha256"]
    assert (dest / "courses" / "mod" / "index.en.md").read_text().startswith("---\nid: mod")
    # Members are written as regular files with a fixed date, so the same module packs alike.
    with zipfile.ZipFile(path) as archive:
        modes = {info.external_attr >> 16 for info in archive.infolist()}
    assert modes == {0o100644}


@pytest.mark.parametrize(
    "name, expected",
    [
        ("../x", "paths that climb out of the package"),
        ("courses/../../x", "paths that climb out of the package"),
        ("/etc/x", "absolute paths are not allowed"),
        ("C:/windows/x", "absolute paths are not allowed"),
        ("courses\\mod\\x", "backslash"),
        ("courses//x", "not a plain relative path"),
        ("courses/mod/x\x1b[2J.md", "control characters"),
    ],
)
def test_unsafe_member_names_are_refused_before_anything_is_unpacked(tmp_path, name, expected):
    path = zip_with(tmp_path / "bad.zip", [(name, b"boom"), ("manifest.json", b"{}")])
    problems = refusal(path, tmp_path)
    assert any(expected in p and p.startswith(name) for p in problems), problems
    assert unpacked_files(tmp_path) == []
    assert entry_name_problem(name) is not None


def test_a_symlink_member_is_refused(tmp_path):
    path = zip_with(
        tmp_path / "link.zip",
        [(symlink_info("courses/mod/index.en.md"), b"/etc/passwd"), ("manifest.json", b"{}")],
    )
    problems = refusal(path, tmp_path)
    assert problems == [
        "courses/mod/index.en.md: links (symlinks) and special files are not allowed"
    ]
    assert unpacked_files(tmp_path) == []


def test_two_members_one_file_system_would_merge_are_refused(tmp_path):
    path = zip_with(
        tmp_path / "case.zip",
        [("manifest.json", b"{}"), ("courses/m/A.png", b"1"), ("courses/m/a.png", b"2")],
    )
    assert refusal(path, tmp_path) == [
        "courses/m/a.png: this name appears twice in the package (as courses/m/A.png)"
    ]
    with pytest.warns(UserWarning, match="Duplicate name"):  # zipfile only warns
        same = zip_with(tmp_path / "same.zip", [("manifest.json", b"{}"), ("manifest.json", b"[]")])
    (tmp_path / "unpacked").rmdir()
    assert refusal(same, tmp_path) == [
        "manifest.json: this name appears twice in the package (as manifest.json)"
    ]


def test_a_zip_bomb_declaring_its_size_is_refused_unread(tmp_path):
    # 50 MB of zeros packs into about 50 KB; the declared size alone is enough to refuse it.
    path = zeros_bomb(tmp_path / "bomb.zip", "courses/mod/media/big.png", 50 * 2**20)
    assert path.stat().st_size < 200_000
    problems = refusal(path, tmp_path)
    assert problems == [
        "courses/mod/media/big.png: the file is too large "
        f"({50 * 2**20} bytes unpacked, at most {SMALL.max_file_bytes})"
    ]
    assert unpacked_files(tmp_path) == []


def test_many_small_members_adding_up_past_the_total_are_refused(tmp_path):
    members = [(f"courses/mod/media/{n}.png", bytes(200_000)) for n in range(8)]
    path = zip_with(tmp_path / "sum.zip", [("manifest.json", b"{}"), *members])
    problems = refusal(path, tmp_path)
    assert problems == [
        f"sum.zip: the package unpacks to {8 * 200_000 + 2} bytes, "
        f"at most {SMALL.max_total_bytes} are allowed"
    ]


def test_too_many_members_are_refused(tmp_path):
    members = [(f"courses/mod/media/{n}.png", b"x") for n in range(30)]
    problems = refusal(zip_with(tmp_path / "many.zip", members), tmp_path)
    assert problems == ["many.zip: the package holds 30 files, at most 20 are allowed"]


def test_a_member_holding_more_than_it_declares_is_refused_while_reading(tmp_path):
    path = write_valid_package(tmp_path / "ok.zip")
    data = bytes(100_000)
    manifest = read_manifest(path)
    manifest["files"][0]["size"] = 10
    manifest["listing_sha256"] = listing_sha256(PackageFile(**f) for f in manifest["files"])
    lying = rewrite_package(
        path, tmp_path / "lying.zip", replace={"courses/mod/index.en.md": data}, manifest=manifest
    )
    understate_size(lying, "courses/mod/index.en.md", 10)
    problems = refusal(lying, tmp_path)
    assert len(problems) == 1
    assert problems[0].startswith("courses/mod/index.en.md: ")
    # Either the byte count or zipfile's own check (it stops at the declared size) refuses it.
    assert "more bytes than it declares" in problems[0] or "damaged" in problems[0]


def test_a_tampered_file_fails_its_checksum_and_is_named(tmp_path):
    path = write_valid_package(tmp_path / "ok.zip")
    with zipfile.ZipFile(path) as archive:
        original = archive.read("courses/mod/index.en.md")
    tampered = original.replace(b"Text.", b"Evil.")
    assert len(tampered) == len(original)
    bad = rewrite_package(path, tmp_path / "bad.zip", replace={"courses/mod/index.en.md": tampered})
    problems = refusal(bad, tmp_path)
    assert problems == [
        "courses/mod/index.en.md: the file does not match its checksum in manifest.json: it was "
        "changed or damaged after the package was made"
    ]
    assert unpacked_files(tmp_path) == []


def test_an_edited_listing_is_caught_by_the_listing_checksum(tmp_path):
    path = write_valid_package(tmp_path / "ok.zip")
    manifest = read_manifest(path)
    manifest["files"][0]["sha256"] = "0" * 64
    bad = rewrite_package(path, tmp_path / "bad.zip", manifest=manifest)
    assert "manifest.json: the file listing does not match its checksum" in refusal(bad, tmp_path)


def test_a_changed_file_with_a_recomputed_listing_still_fails_on_its_own_checksum(tmp_path):
    path = write_valid_package(tmp_path / "ok.zip")
    manifest = read_manifest(path)
    bad = rewrite_package(
        path, tmp_path / "bad.zip", replace={"courses/mod/index.en.md": b"x" * 5}, manifest=manifest
    )
    problems = refusal(bad, tmp_path)
    assert any(p.startswith("courses/mod/index.en.md: its size (5 bytes)") for p in problems)


def test_an_unknown_format_version_is_refused_with_both_versions(tmp_path):
    path = write_valid_package(tmp_path / "ok.zip")
    manifest = read_manifest(path)
    manifest["format_version"] = 99
    bad = rewrite_package(path, tmp_path / "v99.zip", manifest=manifest)
    assert refusal(bad, tmp_path) == [
        "manifest.json: format version 99 is not supported (this platform reads version 1)"
    ]


def test_a_package_without_manifest_is_refused(tmp_path):
    path = write_valid_package(tmp_path / "ok.zip")
    bad = rewrite_package(path, tmp_path / "bare.zip", drop=("manifest.json",))
    assert refusal(bad, tmp_path) == ["manifest.json: the package has no manifest.json"]


def test_files_missing_from_or_added_to_the_listing_are_named(tmp_path):
    path = write_valid_package(tmp_path / "ok.zip")
    extra = rewrite_package(path, tmp_path / "extra.zip", extra={"courses/mod/notes.txt": b"hi"})
    assert refusal(extra, tmp_path) == [
        "courses/mod/notes.txt: this file is not listed in manifest.json"
    ]
    missing = rewrite_package(path, tmp_path / "missing.zip", drop=("courses/mod/index.en.md",))
    (tmp_path / "unpacked").rmdir()
    assert refusal(missing, tmp_path) == [
        "courses/mod/index.en.md: listed in manifest.json but missing from the package"
    ]


def test_manifest_fields_are_checked_and_named(tmp_path):
    path = write_valid_package(tmp_path / "ok.zip")
    manifest = read_manifest(path)
    manifest["licence"] = {"spdx": "LicenseRef-ours"}
    manifest["origin"]["installation"] = "javascript:alert(1)"
    manifest["module"]["slug"] = "Not A Slug"
    bad = rewrite_package(path, tmp_path / "fields.zip", manifest=manifest)
    problems = refusal(bad, tmp_path)
    assert "manifest.json (licence): a licence of your own needs its text or its address" in (
        problems
    )
    assert "manifest.json (origin.installation): an http:// or https:// address expected" in (
        problems
    )
    assert (
        "manifest.json (module.slug): an id of lowercase letters, digits and - expected" in problems
    )


def test_not_a_zip_and_an_oversized_archive_are_refused(tmp_path):
    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this is not a zip at all")
    assert refusal(junk, tmp_path)[0].startswith("junk.zip: this is not a zip file")
    big = tmp_path / "big.zip"
    big.write_bytes(bytes(SMALL.max_archive_bytes + 1))
    (tmp_path / "unpacked").rmdir()
    assert refusal(big, tmp_path) == [
        f"big.zip: the package is too large ({SMALL.max_archive_bytes + 1} bytes, "
        f"at most {SMALL.max_archive_bytes})"
    ]


def test_members_outside_the_module_folder_are_refused(tmp_path):
    files = {"courses/mod/index.en.md": b"x", "courses/other/index.en.md": b"y"}
    path = write_valid_package(tmp_path / "two.zip", files=files)
    problems = refusal(path, tmp_path)
    assert problems == [
        "courses/other/index.en.md: only the module folder courses/mod/ and its quizzes belong "
        "in a package"
    ]
