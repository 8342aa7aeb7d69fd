"""A module's version history for authors: every version, and what changed between two."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from app.content.diff import DiffLine, FieldChange, field_changes, line_diff
from app.content.models import Module, ModuleVariant, ModuleVersion
from app.i18n.languages import sorted_languages
from app.people.models import User


@dataclass(frozen=True)
class VersionRow:
    """One version in a module's history."""

    id: int
    number: int
    is_major: bool
    change_note: str
    published_at: datetime
    published_by: str | None
    languages: tuple[str, ...]
    is_current: bool


def version_history(session: Session, module: Module) -> list[VersionRow]:
    """Every version of a module, newest first (two queries)."""
    versions = session.execute(
        select(ModuleVersion, User.first_name, User.last_name)
        .outerjoin(User, ModuleVersion.published_by_id == User.id)
        .where(ModuleVersion.module_id == module.id)
        .order_by(ModuleVersion.number.desc())
    ).all()
    languages: dict[int, list[str]] = {}
    for version_id, language in session.execute(
        select(ModuleVariant.version_id, ModuleVariant.language).where(
            ModuleVariant.version_id.in_([v.id for v, *_ in versions])
        )
    ):
        languages.setdefault(version_id, []).append(language)
    return [
        VersionRow(
            id=version.id,
            number=version.number,
            is_major=version.is_major,
            change_note=version.change_note,
            published_at=version.published_at,
            published_by=f"{first} {last}".strip() if first or last else None,
            languages=tuple(sorted_languages(languages.get(version.id, []))),
            is_current=version.id == module.current_version_id,
        )
        for version, first, last in versions
    ]


@dataclass
class VersionDiff:
    """What changed in one language between two versions."""

    old_number: int
    new_number: int
    language: str
    old_missing: bool
    new_missing: bool
    fields: list[FieldChange] = field(default_factory=list)
    lines: list[DiffLine] = field(default_factory=list)

    @property
    def is_same(self) -> bool:
        """True when nothing differs."""
        return not self.fields and not any(line.kind != "same" for line in self.lines)


def _variant_fields(variant: ModuleVariant | None, version: ModuleVersion) -> dict[str, object]:
    if variant is None:
        return {}
    return {
        "title": variant.title,
        "summary": variant.summary,
        "tags": list(variant.tags or []),
        "minutes": variant.minutes,
        "valid_days": version.valid_days,
        "revision": variant.revision,
        "translates": variant.translates,
    }


def version_diff(
    session: Session, module: Module, old_number: int, new_number: int, language: str
) -> VersionDiff | None:
    """The diff of one language between two versions of a module (None if a version is unknown)."""
    versions = {
        v.number: v
        for v in session.scalars(
            select(ModuleVersion)
            .where(
                ModuleVersion.module_id == module.id,
                ModuleVersion.number.in_([old_number, new_number]),
            )
            .options(selectinload(ModuleVersion.variants))
        )
    }
    if old_number not in versions or new_number not in versions:
        return None
    old, new = versions[old_number], versions[new_number]
    old_variant = next((v for v in old.variants if v.language == language), None)
    new_variant = next((v for v in new.variants if v.language == language), None)
    return VersionDiff(
        old_number=old_number,
        new_number=new_number,
        language=language,
        old_missing=old_variant is None,
        new_missing=new_variant is None,
        fields=field_changes(_variant_fields(old_variant, old), _variant_fields(new_variant, new)),
        lines=line_diff(
            old_variant.markdown if old_variant else "", new_variant.markdown if new_variant else ""
        ),
    )
