"""The foundation's /api/v1 routes (me, units, people, OpenAPI) and the profile's token pages."""

from __future__ import annotations

from typing import Any

from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.api import api_blueprint, auth
from app.api.cli import api_cli
from app.api.forms import NewTokenForm
from app.api.openapi import PAGING, document, openapi_document, paged, query_param, schema, single
from app.api.pagination import page_request, paged_response
from app.api.tokens import TokenError, create_token, revoke_token, token_of, tokens_of
from app.extensions import db
from app.i18n.languages import LANGUAGES
from app.people.models import Role, RoleAssignment, Unit, User
from app.people.queries import PersonRow, UnitRow, people_page, unit_tree
from app.people.signin_throttle import check_current_password, throttled, too_many_attempts_message
from app.permissions import public, roles_required, signed_in
from app.timekeeping import clock

bp = api_blueprint("api", __name__)
tokens_bp = Blueprint("api_tokens", __name__, url_prefix="/profile/api-tokens")


def register(app: Flask) -> None:
    """Plug the API into the app: routes, cookie-free sessions on /api/, token pages, CLI."""
    auth.install(app)
    app.register_blueprint(bp)
    app.register_blueprint(tokens_bp)
    app.cli.add_command(api_cli)


# --- schemas ------------------------------------------------------------------------------

_UNIT_REF = schema(
    "UnitRef",
    {
        "type": "object",
        "required": ["id", "code", "name", "kind"],
        "properties": {
            "id": {"type": "integer"},
            "code": {"type": "string"},
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": ["network", "region", "branch"]},
        },
    },
)
_ME = schema(
    "Me",
    {
        "type": "object",
        "required": ["id", "name", "email", "language", "unit", "roles"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "email": {"type": "string", "format": "email"},
            "language": {"type": ["string", "null"], "enum": [*LANGUAGES, None]},
            "unit": {"oneOf": [_UNIT_REF, {"type": "null"}]},
            "roles": {
                "type": "array",
                "items": {
                    "type": "object",
                    "required": ["role", "unit", "provider"],
                    "properties": {
                        "role": {"type": "string", "enum": [r.value for r in Role]},
                        "unit": {
                            "oneOf": [_UNIT_REF, {"type": "null"}],
                            "description": "The unit (and everything below it) a manager manages.",
                        },
                        "provider": {
                            "description": "The content provider a trainer works for.",
                            "oneOf": [
                                {
                                    "type": "object",
                                    "required": ["id", "slug", "name"],
                                    "properties": {
                                        "id": {"type": "integer"},
                                        "slug": {"type": "string"},
                                        "name": {"type": "string"},
                                    },
                                },
                                {"type": "null"},
                            ],
                        },
                    },
                },
            },
        },
    },
)
_UNIT = schema(
    "Unit",
    {
        "type": "object",
        "required": ["id", "parent_id", "code", "name", "kind", "depth", "people"],
        "properties": {
            "id": {"type": "integer"},
            "parent_id": {
                "type": ["integer", "null"],
                "description": "The parent unit; null for the top of the caller's scope.",
            },
            "code": {"type": "string"},
            "name": {"type": "string"},
            "kind": {"type": "string", "enum": ["network", "region", "branch"]},
            "depth": {"type": "integer", "description": "0 for the network, 2 for branches."},
            "people": {"type": "integer", "description": "Active people directly in the unit."},
        },
    },
)
_PERSON = schema(
    "Person",
    {
        "type": "object",
        "required": ["id", "name", "email", "unit_name", "language", "is_active", "roles"],
        "properties": {
            "id": {"type": "integer"},
            "name": {"type": "string"},
            "email": {"type": "string", "format": "email"},
            "unit_name": {"type": ["string", "null"]},
            "language": {"type": ["string", "null"]},
            "is_active": {"type": "boolean"},
            "roles": {"type": "array", "items": {"type": "string"}},
        },
    },
)


# --- /api/v1 --------------------------------------------------------------------------------


def _unit_ref(unit: Unit | None) -> dict[str, Any] | None:
    if unit is None:
        return None
    return {"id": unit.id, "code": unit.code, "name": unit.name, "kind": unit.kind.value}


def _role_json(assignment: RoleAssignment) -> dict[str, Any]:
    provider = assignment.provider
    return {
        "role": assignment.role.value,
        "unit": _unit_ref(assignment.unit),
        "provider": (
            {"id": provider.id, "slug": provider.slug, "name": provider.name}
            if provider is not None
            else None
        ),
    }


@bp.get("/me")
@signed_in
@document(
    summary="The token's user",
    description="Who the token acts for: identity, unit and roles with their scopes.",
    tags=["people"],
    response=single(_ME),
)
def me():
    """Describe the user the token acts for."""
    user: User = current_user
    roles = sorted(user.roles, key=lambda a: (a.role.value, a.unit_id or 0, a.provider_id or 0))
    return jsonify(
        data={
            "id": user.id,
            "name": user.display_name,
            "email": user.email,
            "language": user.preferred_language,
            "unit": _unit_ref(user.unit),
            "roles": [_role_json(a) for a in roles],
        }
    )


def _unit_json(row: UnitRow) -> dict[str, Any]:
    chain = [int(part) for part in row.path.strip("/").split("/") if part]
    return {
        "id": row.id,
        "parent_id": chain[-2] if len(chain) > 1 else None,
        "code": row.code,
        "name": row.name,
        "kind": row.kind,
        "depth": row.depth,
        "people": row.people,
    }


@bp.get("/units")
@roles_required(Role.MANAGER, Role.ADMIN)
@document(
    summary="Units in the caller's scope",
    description=(
        "The organisation tree as far as the token's user manages it (all of it for admins), "
        "in tree order: every unit comes after its parent."
    ),
    tags=["people"],
    parameters=PAGING,
    response=paged(_UNIT),
)
def units():
    """List the units the token's user manages, in tree order."""
    page = page_request()
    rows = unit_tree(db.session, current_user)
    return paged_response([_unit_json(row) for row in page.slice(rows)], page, len(rows))


def _person_json(row: PersonRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "email": row.email,
        "unit_name": row.unit_name,
        "language": row.language,
        "is_active": row.is_active,
        "roles": [role for role in row.roles.split(", ") if role],
    }


@bp.get("/people")
@roles_required(Role.MANAGER, Role.ADMIN)
@document(
    summary="People in the caller's scope",
    description="People in the units the token's user manages (everyone for admins), by name.",
    tags=["people"],
    parameters=(
        *PAGING,
        query_param(
            "q",
            {"type": "string", "maxLength": 100},
            "Search in first and last name, e-mail address and HR number.",
        ),
    ),
    response=paged(_PERSON),
)
def people():
    """List one page of the people the token's user may see."""
    page = page_request()
    search = request.args.get("q", "")
    if len(search) > 100:
        abort(400, description=_("The parameter “q” can have at most 100 characters."))
    rows, total = people_page(
        db.session, current_user, search=search, page=page.page, per_page=page.per_page
    )
    return paged_response([_person_json(row) for row in rows], page, total)


@bp.get("/openapi.json")
@public
def openapi():
    """Serve the OpenAPI document of this API (public, so tools can read it before a token)."""
    return jsonify(openapi_document(current_app))


# --- token pages in the profile -----------------------------------------------------------


def _token_page(form: NewTokenForm) -> str:
    return render_template(
        "api/tokens.html",
        tokens=tokens_of(db.session, current_user),
        form=form,
        now=clock.now(),
    )


def _render_tokens(form: NewTokenForm, status: int = 200):
    return _token_page(form), status


def _new_token_form(**kwargs: Any) -> NewTokenForm:
    return NewTokenForm(default_days=current_app.config["API_TOKEN_DAYS"], **kwargs)


@tokens_bp.get("")
@signed_in
def index():
    """List my API tokens and offer to make a new one."""
    return _render_tokens(_new_token_form(formdata=None))


@tokens_bp.post("/new")
@signed_in
def create():
    """Make a token and show its secret once, on this answer only (never stored, never cached).

    The password is asked for again, and checked under the sign-in throttle: a token outlives
    the browser session, so a session left open on a shared tablet must not be enough.
    """
    form = _new_token_form()
    if not form.validate_on_submit():
        return _render_tokens(form, 400)
    user = db.session.get(User, current_user.id)
    if not user.password_hash:
        form.password.errors = [
            _(
                "You sign in through single sign-on and have no password here, so you cannot "
                "make API tokens in the browser. An administrator can make one for you."
            )
        ]
        return _render_tokens(form, 400)
    now = clock.now()
    check = check_current_password(user, form.password.data, now=now, purpose="api_token")
    if check.refusal is not None:
        form.password.errors = [too_many_attempts_message(check.refusal.wait_seconds)]
        return throttled(_token_page(form), check.refusal.wait_seconds)
    if not check.is_good:
        form.password.errors = [_("The password is not correct.")]
        return _render_tokens(form, 400)
    try:
        token, secret = create_token(
            db.session,
            user,
            name=form.name.data,
            days=form.days.data or current_app.config["API_TOKEN_DAYS"],
            now=now,
            actor=user,
            ip=request.remote_addr,
        )
    except TokenError as exc:
        db.session.rollback()
        form.name.errors = [*form.name.errors, _(str(exc))]
        return _render_tokens(form, 400)
    db.session.commit()
    response = make_response(render_template("api/token_created.html", token=token, secret=secret))
    response.headers["Cache-Control"] = "no-store"
    return response


@tokens_bp.post("/<int:token_id>/revoke")
@signed_in
def revoke(token_id: int):
    """Revoke one of my tokens (somebody else's token answers 404)."""
    token = token_of(db.session, current_user, token_id)
    if token is None:
        abort(404)
    if FlaskForm().validate_on_submit():
        revoke_token(db.session, token, now=clock.now(), actor=current_user, ip=request.remote_addr)
        db.session.commit()
        flash(_("The token “%(name)s” has been revoked.", name=token.name), "success")
    return redirect(url_for("api_tokens.index"), 303)
