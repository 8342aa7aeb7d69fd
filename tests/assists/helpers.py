"""Builders for assist tests: modules whose variants carry tags, campaigns that assign them."""

from __future__ import annotations

import itertools
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from app.assists import operations
from app.assists.models import CounterAssist
from app.content.models import Module, ModuleStatus, ModuleVariant, ModuleVersion
from app.extensions import db
from app.people.models import Provider, User
from tests.readiness.helpers import ASSIGN_AT, NOW

ZONE = ZoneInfo("Europe/Zurich")
_numbers = itertools.count(1)
_keys = itertools.count(1)

__all__ = ["NOW", "ZONE", "log", "make_tagged_module", "submit_key"]


def make_tagged_module(
    provider: Provider, tags: dict[str, list[str]], *, slug: str | None = None
) -> Module:
    """A published module whose current version has one variant per language, with tags."""
    module = Module(
        slug=slug or f"tagged-{next(_numbers)}",
        provider_id=provider.id,
        source_language=next(iter(tags)),
        status=ModuleStatus.PUBLISHED,
    )
    db.session.add(module)
    db.session.flush()
    version = ModuleVersion(
        module_id=module.id,
        number=1,
        is_major=False,
        content_hash=f"{module.slug}-1",
        minutes=5,
        published_at=ASSIGN_AT - timedelta(days=30),
    )
    db.session.add(version)
    db.session.flush()
    for language, language_tags in tags.items():
        db.session.add(
            ModuleVariant(
                version_id=version.id,
                language=language,
                title=f"{module.slug} ({language})",
                summary="",
                tags=language_tags,
                minutes=5,
                content_hash=f"{module.slug}-{language}",
                markdown="# test",
            )
        )
    module.current_version_id = version.id
    db.session.commit()
    return module


def submit_key() -> str:
    """A fresh submit key, as the counter form draws one."""
    return f"{next(_keys):032x}"


def log(
    user: User,
    topic: str,
    outcome: str = "solved",
    *,
    now: datetime = NOW,
    key: str | None = None,
    language: str = "fr",
) -> CounterAssist:
    """Log an assist through the real operation and commit it."""
    assist = operations.log_assist(
        db.session,
        user,
        topic=topic,
        outcome=outcome,
        submit_key=key or submit_key(),
        language=language,
        now=now,
        tz=ZONE,
    )
    db.session.commit()
    return assist
