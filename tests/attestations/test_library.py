"""`kind: attestation` in the file format, import, export, and the shipped agreement."""

from __future__ import annotations

from pathlib import Path

import pytest
from sqlalchemy import select

from app.content.exporting import export_modules
from app.content.importing import import_library
from app.content.models import Module, ModuleKind
from app.content.module_folder import load_module_folder
from app.content.variant_file import parse_variant_text
from app.extensions import db
from tests.tracking.helpers import T0

SHIPPED = Path(__file__).resolve().parents[2] / "courses" / "engagement-teletravail"

TEXT = """---
id: policy
title: A policy
summary: A policy to confirm.
language: en
source_language: en
revision: 1
provider: ju-it
minutes: 3
{kind}---

## The rules

Keep it secret.
"""


def parse(kind_line: str):
    return parse_variant_text(TEXT.format(kind=kind_line), path="policy/index.en.md")


def test_kind_is_read_and_checked():
    variant, problems = parse("kind: attestation\n")
    assert variant is not None and variant.kind == "attestation" and problems == []
    plain, _ = parse("")
    assert plain is not None and plain.kind is None
    wrong, problems = parse("kind: contract\n")
    assert wrong is None
    assert [str(p) for p in problems] == [
        "policy/index.en.md:10: 'kind' must be module or attestation (not 'contract')"
    ]


def test_a_module_without_kind_keeps_its_content_hash():
    plain, _ = parse("")
    explicit, _ = parse("kind: module\n")
    attestation, _ = parse("kind: attestation\n")
    assert plain.content_hash == explicit.content_hash
    assert attestation.content_hash != plain.content_hash


def test_the_shipped_agreement_is_an_attestation_in_french_and_german():
    module = load_module_folder(SHIPPED)
    assert set(module.variants) == {"fr", "de"}
    assert {variant.kind for variant in module.variants.values()} == {"attestation"}
    for variant in module.variants.values():
        words = len(variant.body_markdown.split())
        assert 300 <= words <= 500, (variant.language, words)


def test_import_marks_the_module_and_export_keeps_it(app, tmp_path):
    report = import_library(db.session, [SHIPPED], now=T0, major=None, actor=None)
    db.session.commit()
    assert report.created == 1
    module = db.session.scalar(select(Module).where(Module.slug == "engagement-teletravail"))
    assert module.kind == ModuleKind.ATTESTATION
    exported = export_modules(db.session, tmp_path, media_folder=tmp_path / "media")
    again = load_module_folder(exported[0].folder)
    assert again.variants["fr"].kind == "attestation"
    # Export then import makes no new version: the content hash travels with the kind.
    report = import_library(db.session, [exported[0].folder], now=T0, major=None, actor=None)
    assert report.unchanged == 1


@pytest.mark.parametrize("language", ["fr", "de"])
def test_the_shipped_text_names_the_rules_of_the_issue(language):
    text = (SHIPPED / f"index.{language}.md").read_text(encoding="utf-8")
    needles = {
        "fr": ["pièce séparée", "personne ne puisse le voir", "personne n'écoute", "art. 320"],
        "de": ["separaten Raum", "niemand ihn sehen kann", "niemand meine", "Art. 320"],
    }[language]
    assert all(needle in text for needle in needles)
