"""Content models: the "once" rules are unique constraints, times come back timezone-aware."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import select, text
from sqlalchemy.exc import IntegrityError

from app.content.models import (
    Module,
    ModuleDraft,
    ModulePage,
    ModuleStatus,
    ModuleVariant,
    ModuleVersion,
    ReadingPosition,
)
from app.extensions import db
from tests.content.builders import import_paths, in_transaction, write_module
from tests.factories import make_org, make_user

MOMENT = datetime(2027, 3, 1, 8, 30, tzinfo=UTC)


@pytest.fixture
def module(app, tmp_path):
    make_org()
    write_module(tmp_path, "alpha", pages=2)
    import_paths([tmp_path])
    return db.session.scalar(select(Module).where(Module.slug == "alpha"))


def _refused(row) -> None:
    with in_transaction(), pytest.raises(IntegrityError):
        db.session.add(row)
        db.session.flush()


def test_a_version_number_is_used_once_per_module(module):
    version = module.current_version
    _refused(
        ModuleVersion(
            module_id=module.id,
            number=version.number,
            content_hash="x",
            minutes=5,
            published_at=MOMENT,
        )
    )


def test_a_language_once_per_version_and_a_position_once_per_variant(module):
    variant = module.current_version.variants[0]
    _refused(
        ModuleVariant(
            version_id=variant.version_id,
            language=variant.language,
            title="t",
            summary="s",
            minutes=5,
            content_hash="x",
            markdown="",
        )
    )
    _refused(ModulePage(variant_id=variant.id, position=0, title="t", markdown="", html=""))


def test_one_draft_per_language_and_one_reading_position_per_learner(module):
    db.session.add(ModuleDraft(module_id=module.id, language="de", updated_at=MOMENT))
    db.session.commit()
    _refused(ModuleDraft(module_id=module.id, language="de", updated_at=MOMENT))
    learner = make_user()
    position = {
        "user_id": learner.id,
        "module_id": module.id,
        "version_id": module.current_version_id,
        "language": "fr",
        "position": 0,
        "updated_at": MOMENT,
    }
    db.session.add(ReadingPosition(**position))
    db.session.commit()
    _refused(ReadingPosition(**position))


def test_times_are_timezone_aware_and_the_status_is_stored_as_text(module):
    db.session.expire_all()
    module = db.session.get(Module, module.id)
    assert module.created_at.tzinfo is not None
    assert module.current_version.published_at.tzinfo is not None
    assert module.status is ModuleStatus.PUBLISHED
    raw = db.session.execute(text("SELECT status FROM modules WHERE id = :id"), {"id": module.id})
    assert raw.scalar() == "published"


def test_a_draft_save_bumps_its_lock_version(module):
    draft = ModuleDraft(module_id=module.id, language="de", title="a", updated_at=MOMENT)
    db.session.add(draft)
    db.session.commit()
    assert draft.lock_version == 1
    draft.title = "b"
    db.session.commit()
    assert draft.lock_version == 2
