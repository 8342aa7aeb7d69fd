"""Builders for attestation tests: a published attestation, read and confirmed."""

from __future__ import annotations

from datetime import datetime

from app.attestations.operations import Confirmation, record_confirmation
from app.content.models import ModuleKind
from app.extensions import db
from app.people.models import Provider, User
from tests.tracking.helpers import T0, Built, make_module, read_pages


def make_attestation(provider: Provider, *, pages: int = 2, slug: str | None = None) -> Built:
    """A published attestation (a module of kind attestation) with one version in fr and de."""
    built = make_module(provider, slug=slug, languages={"fr": pages, "de": pages})
    built.module.kind = ModuleKind.ATTESTATION
    db.session.commit()
    return built


def read_and_confirm(user: User, built: Built, now: datetime = T0) -> Confirmation:
    """Read every French page of the current version, then confirm it (re-authenticated)."""
    read_pages(user, built.page_ids("fr"), now=now)
    confirmation = record_confirmation(
        db.session,
        user,
        built.module,
        built.current,
        language="fr",
        method="password",
        now=now,
        ip="192.0.2.1",
    )
    db.session.commit()
    return confirmation
