"""The provider view: how a provider's modules do in the campaigns that use them.

Trainers see the modules of their providers (admins: all) with aggregates only (people
assigned and completed, quiz pass rate and average score, page ratings and problem reports),
never a person's name; a module of another provider answers 404.
"""

from __future__ import annotations

from flask import Flask, abort, render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.content.module_titles import module_titles
from app.extensions import db
from app.i18n.request_language import select_language
from app.page_feedback.queries import module_in_trainer_scope
from app.people.models import Role
from app.permissions import roles_required
from app.platform.hooks import NAV_ENTRIES
from app.readiness.queries.module_usage import module_campaign_usage, module_usage
from app.readiness.views import bp

TRAINERS = (Role.TRAINER, Role.ADMIN)


@bp.get("/modules")
@roles_required(*TRAINERS)
def module_use():
    """Every module the trainer looks after, with how it does across campaigns."""
    rows = module_usage(db.session, current_user)
    language = select_language()
    return render_template(
        "readiness/module_use.html",
        rows=rows,
        titles=module_titles(db.session, [r.module_id for r in rows], language),
    )


@bp.get("/modules/<int:module_id>")
@roles_required(*TRAINERS)
def module_use_detail(module_id: int):
    """One module: its figures and the campaigns that use it (404 outside the trainer's)."""
    module = module_in_trainer_scope(db.session, current_user, module_id)
    if module is None:
        abort(404)
    row = next(
        (r for r in module_usage(db.session, current_user) if r.module_id == module.id), None
    )
    if row is None:  # an archived module: still the trainer's, with no current use
        abort(404)
    language = select_language()
    titles = module_titles(db.session, [module.id], language)
    return render_template(
        "readiness/module_use_detail.html",
        row=row,
        title=titles[module.id].title if module.id in titles else module.slug,
        campaigns=module_campaign_usage(db.session, module.id),
        language=language,
    )


def install(app: Flask) -> None:
    """Add the trainers' navigation entry."""
    NAV_ENTRIES.connect(app, ("readiness.module_use", _l("Module use"), {Role.TRAINER, Role.ADMIN}))
