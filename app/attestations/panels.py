"""The reader's confirmation panel (a Jinja global) and the learner's home panel."""

from __future__ import annotations

from typing import Any

from flask import (
    current_app,
)
from flask_login import current_user
from sqlalchemy import select

from app.attestations.forms import ConfirmForm, ConfirmTargetForm
from app.attestations.queries import (
    LearnerState,
    attestation_title,
    learner_state,
)
from app.content.models import Module, ModuleKind, ModuleStatus
from app.extensions import db
from app.i18n.request_language import select_language
from app.people import sso
from app.people.models import Role, User
from app.timekeeping import clock
from app.tracking.certificates import format_code


def attestation_panel(page: Any) -> dict[str, Any] | None:
    """For the reader's last page: the confirmation form or the learner's confirmation."""
    # Plain modules (nearly every page) cost no query.
    if page.kind != ModuleKind.ATTESTATION or not getattr(current_user, "is_authenticated", False):
        return None
    module = db.session.get(Module, page.module_id)
    if module is None or module.kind != ModuleKind.ATTESTATION:
        return None
    state: LearnerState = learner_state(db.session, current_user.id, module, now=clock.now())
    target = {"version_id": page.version_id, "language": page.language, "page": page.number}
    uses_password = bool(current_user.password_hash) and current_app.config.get(
        "LOCAL_PASSWORDS", True
    )
    return {
        "module": module,
        "state": state,
        "form": ConfirmForm(formdata=None, **target),
        "sso_form": ConfirmTargetForm(formdata=None, **target),
        "is_current_version": page.version_id == module.current_version_id,
        "has_password": uses_password,
        "sso_provider": current_app.config.get("OIDC_PROVIDER_NAME") if sso.is_enabled() else None,
        "code": format_code(state.code) if state.code else None,
    }


def home_panel(user: User) -> dict[str, Any] | None:
    """Home panel for learners: the attestations they have not confirmed (or must again)."""
    if Role.LEARNER not in user.role_set:
        return None
    modules = db.session.scalars(
        select(Module).where(
            Module.kind == ModuleKind.ATTESTATION,
            Module.status == ModuleStatus.PUBLISHED,
            Module.current_version_id.is_not(None),
        )
    ).all()
    now = clock.now()
    language = select_language()
    due = [
        {"slug": module.slug, "title": attestation_title(module, language)}
        for module in modules
        if not learner_state(db.session, user.id, module, now=now).is_confirmed
    ]
    if not due:
        return None
    return {"template": "attestations/_home_panel.html", "due": due}
