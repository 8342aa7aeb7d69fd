"""The reader's confirmation panel (a Jinja global) and the learner's home panel."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from flask import (
    current_app,
)
from flask_login import current_user
from sqlalchemy import bindparam, select

from app.attestations.forms import ConfirmForm, ConfirmTargetForm
from app.attestations.queries import (
    LearnerState,
    learner_state,
)
from app.content.models import Module, ModuleKind, ModuleStatus, ModuleVariant
from app.extensions import db
from app.i18n.languages import pick_language
from app.i18n.request_language import select_language
from app.people import sso
from app.people.models import Role, User
from app.platform.reads import Deferred, Read
from app.timekeeping import clock
from app.tracking.certificates import format_code
from app.tracking.completion_sql import counting_completion_clause


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


# The attestations a learner has no counting confirmation of, with their titles: one statement,
# built once (the completion rule's SQL form decides what counts).
_DUE_ATTESTATIONS = (
    select(
        Module.id, Module.slug, Module.source_language, ModuleVariant.language, ModuleVariant.title
    )
    .join(ModuleVariant, ModuleVariant.version_id == Module.current_version_id)
    .where(
        Module.kind == ModuleKind.ATTESTATION,
        Module.status == ModuleStatus.PUBLISHED,
        Module.current_version_id.is_not(None),
        ~counting_completion_clause(bindparam("user_id"), [Module.id], bindparam("now")),
    )
    .order_by(Module.id, ModuleVariant.language)
)


def home_panel(user: User, now: datetime) -> Deferred | None:
    """Home panel for learners: the attestations they have not confirmed (or must again)."""
    if Role.LEARNER not in user.role_set:
        return None
    read = Read(_DUE_ATTESTATIONS, {"user_id": user.id, "now": now})
    return Deferred((read,), _due_panel)


def _due_panel(rows: Any) -> dict[str, Any] | None:
    modules: dict[int, tuple[str, str, dict[str, str]]] = {}
    for module_id, slug, source, lang, title in rows:
        modules.setdefault(module_id, (slug, source, {}))[2][lang] = title
    if not modules:
        return None
    language = select_language()
    due = [
        {"slug": slug, "title": titles.get(pick_language(titles, language, source), slug)}
        for slug, source, titles in modules.values()
    ]
    return {"template": "attestations/_home_panel.html", "due": due}
