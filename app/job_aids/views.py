"""Job-aid pages: a module's one-page counter sheet and a campaign's staff-room poster.

Both are printed from the browser (print CSS, A4). Each page is rendered in the language chosen
for the branch (`?lang=`, else the viewer's), interface words included, so the printed sheet
speaks one language.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Flask, abort, render_template, request
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.campaigns.access import VIEW_CAMPAIGN
from app.campaigns.queries.campaign_lists import load_campaign
from app.campaigns.queries.campaign_page import campaign_modules
from app.content.queries import published_module
from app.content.views import VIEW_MODULE
from app.extensions import db
from app.i18n.languages import LANGUAGES
from app.i18n.request_language import select_language
from app.job_aids.extraction import fit_sheet, sheet_layout
from app.job_aids.qr import qr_svg
from app.job_aids.queries import module_sheet, most_missed_points
from app.people.models import Role, User
from app.permissions import ensure, is_admin, may, register_rule, roles_required, signed_in
from app.web.links import public_url

bp = Blueprint("job_aids", __name__)

PRINT_JOB_AID = "job_aids.print_module"
PRINT_FOR_OTHERS = "job_aids.print_for_others"
PRINT_POSTER = "job_aids.print_poster"
STAFF_ROLES = frozenset({Role.TRAINER, Role.MANAGER, Role.ADMIN})


def _may_print_job_aid(user: User, module: Any) -> bool:
    """Whoever may read the module may print its job aid."""
    return may(user, VIEW_MODULE, module)


def _may_print_for_others(user: User, _obj: Any = None) -> bool:
    """Trainers, managers and admins print sheets for a counter; they also see the quiz's
    most-missed points (a learner could otherwise read them before taking the quiz)."""
    return is_admin(user) or bool(user.role_set & STAFF_ROLES)


def _may_print_poster(user: User, campaign: Any) -> bool:
    """A campaign's managers and trainers (whoever may see the campaign) print its poster."""
    return may(user, VIEW_CAMPAIGN, campaign)


class BadLanguage(ValueError):
    """`?lang=` names a language the platform does not have."""


def _sheet_language() -> str:
    """The language asked for with `?lang=` (the branch's), else the viewer's."""
    raw = request.args.get("lang", "")
    if not raw:
        return select_language()
    if raw not in LANGUAGES:
        raise BadLanguage(
            _(
                "The address asks for the language “%(value)s” (lang=); use one of %(choices)s.",
                value=raw[:10],
                choices=", ".join(LANGUAGES),
            )
        )
    return raw


@bp.errorhandler(BadLanguage)
def bad_language(error: BadLanguage):
    """An unknown `?lang=`: 400 with the reason."""
    return (
        render_template(
            "errors/error.html",
            status=400,
            title=_("The request could not be understood"),
            message=str(error),
        ),
        400,
    )


@bp.get("/modules/<slug>/job-aid")
@signed_in
def module_job_aid(slug: str):
    """A module's one-page counter sheet: steps, say-boxes, most-missed points and a QR code."""
    module = published_module(db.session, slug)
    ensure(PRINT_JOB_AID, module)
    language = _sheet_language()
    sheet = module_sheet(db.session, module, language=language)  # type: ignore[arg-type]
    if sheet is None:
        abort(404)
    missed = None
    if may(current_user, PRINT_FOR_OTHERS):
        missed = most_missed_points(db.session, sheet.module_id, sheet.language)
    shown = missed.points if missed is not None else ()
    fitted = fit_sheet(sheet.sections, sheet_layout([(p.question, p.point) for p in shown]))
    url = public_url("content.module_page", slug=sheet.slug)
    with force_locale(f"{sheet.language}_CH"):
        return render_template(
            "job_aids/module.html",
            sheet=sheet,
            fitted=fitted,
            missed=missed,
            module_url=url,
            qr=qr_svg(url),
        )


@bp.get("/campaigns/<int:campaign_id>/poster")
@roles_required(*STAFF_ROLES)
def campaign_poster(campaign_id: int):
    """A campaign's staff-room poster: name, weeks, due date, modules and a QR code."""
    campaign = load_campaign(db.session, current_user, campaign_id)
    ensure(PRINT_POSTER, campaign)
    language = _sheet_language()
    modules = [m for m in campaign_modules(db.session, campaign, language) if m.is_published]
    url = public_url("campaigns.mine") + f"#campaign-{campaign.id}"
    with force_locale(f"{language}_CH"):
        return render_template(
            "job_aids/poster.html",
            campaign=campaign,
            language=language,
            name=campaign.name_in(language),
            theme=campaign.theme_in(language),
            modules=modules,
            target_url=url,
            qr=qr_svg(url),
        )


def register(app: Flask) -> None:
    """Plug job aids in: the pages, their permission rules and the template's link test."""
    app.register_blueprint(bp)
    register_rule(PRINT_JOB_AID, _may_print_job_aid)
    register_rule(PRINT_FOR_OTHERS, _may_print_for_others)
    register_rule(PRINT_POSTER, _may_print_poster)
    # The module and campaign pages show their "Print" links only where this is defined.
    app.jinja_env.globals["may_print_job_aids"] = lambda user: may(user, PRINT_FOR_OTHERS)
