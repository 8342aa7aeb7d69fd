"""Administration pages of the unit tree and of content providers (admins only)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from wtforms import Field

from app.extensions import db
from app.people import unit_operations as unit_ops
from app.people.admin_common import bp, client_ip, error_text, show_error
from app.people.admin_forms import (
    ConfirmForm,
    ProviderAddForm,
    ProviderRenameForm,
    UnitAddForm,
    UnitMoveForm,
    UnitRenameForm,
)
from app.people.field_rules import PeopleError
from app.people.models import Provider, Role, Unit, UnitKind
from app.people.queries import all_providers, open_unit_choices, unit_tree
from app.permissions import roles_required

_PARENT_KIND = {UnitKind.REGION: UnitKind.NETWORK, UnitKind.BRANCH: UnitKind.REGION}


# --- units ------------------------------------------------------------------------------


def _parent_choices(form_field: Field, kinds: tuple[str, ...], exclude_path: str | None = None):
    form_field.choices = [(0, _("Choose a unit"))] + [
        (u.id, f"{u.label} ({u.code})")
        for u in open_unit_choices(db.session, current_user, kinds=kinds)
        if exclude_path is None or not _path_of(u.id).startswith(exclude_path)
    ]


def _path_of(unit_id: int) -> str:
    unit = db.session.get(Unit, unit_id)
    return unit.path if unit else ""


def _render_units(add_form: UnitAddForm | None = None, status: int = 200):
    if add_form is None:
        add_form = UnitAddForm(formdata=None)
    _parent_choices(add_form.parent, ("network", "region"))
    add_form.parent.choices[0] = (0, _("None (a new network)"))
    rows = unit_tree(db.session, current_user)
    return render_template("people/admin/units.html", rows=rows, add_form=add_form), status


@bp.get("/units")
@roles_required(Role.ADMIN)
def units():
    """The unit tree with its state and a form to add a unit."""
    return _render_units()


@bp.post("/units/add")
@roles_required(Role.ADMIN)
def add_unit():
    """Add a unit below a parent of the right level."""
    form = UnitAddForm()
    _parent_choices(form.parent, ("network", "region"))
    if not form.validate_on_submit():
        return _render_units(form, 400)
    parent = db.session.get(Unit, form.parent.data) if form.parent.data else None
    try:
        unit = unit_ops.create_unit(
            db.session,
            code=form.code.data,
            name=form.name.data,
            kind=UnitKind(form.kind.data),
            parent=parent,
            actor=current_user,
            ip=client_ip(),
        )
    except PeopleError as error:
        db.session.rollback()
        show_error(form, error)
        return _render_units(form, 400)
    db.session.commit()
    flash(_("%(name)s has been added.", name=unit.name), "success")
    return redirect(url_for("admin.unit", unit_id=unit.id), 303)


def _unit_or_404(unit_id: int) -> Unit:
    unit = db.session.get(Unit, unit_id)
    if unit is None:
        abort(404)
    return unit


def _render_unit(unit: Unit, rename_form=None, move_form=None, status: int = 200):
    rename_form = rename_form or UnitRenameForm(formdata=None, name=unit.name)
    move_form = move_form or UnitMoveForm(formdata=None, parent=unit.parent_id or 0)
    parent_kind = _PARENT_KIND.get(unit.kind)
    if parent_kind is not None:
        _parent_choices(move_form.parent, (parent_kind.value,), exclude_path=unit.path)
    return (
        render_template(
            "people/admin/unit.html",
            unit=unit,
            rename_form=rename_form,
            move_form=move_form if parent_kind is not None else None,
            confirm_form=ConfirmForm(),
        ),
        status,
    )


@bp.get("/units/<int:unit_id>")
@roles_required(Role.ADMIN)
def unit(unit_id: int):
    """One unit: rename, move, close."""
    return _render_unit(_unit_or_404(unit_id))


@bp.post("/units/<int:unit_id>/rename")
@roles_required(Role.ADMIN)
def rename_unit(unit_id: int):
    """Give a unit a new name."""
    unit = _unit_or_404(unit_id)
    form = UnitRenameForm()
    if not form.validate_on_submit():
        return _render_unit(unit, rename_form=form, status=400)
    try:
        unit_ops.rename_unit(db.session, unit, form.name.data, actor=current_user, ip=client_ip())
    except PeopleError as error:
        db.session.rollback()
        show_error(form, error)
        return _render_unit(unit, rename_form=form, status=400)
    db.session.commit()
    flash(_("The unit is now called %(name)s.", name=unit.name), "success")
    return redirect(url_for("admin.unit", unit_id=unit.id), 303)


@bp.post("/units/<int:unit_id>/move")
@roles_required(Role.ADMIN)
def move_unit(unit_id: int):
    """Move a unit and everything below it under another parent."""
    unit = _unit_or_404(unit_id)
    form = UnitMoveForm()
    parent_kind = _PARENT_KIND.get(unit.kind)
    if parent_kind is None:
        abort(404)
    _parent_choices(form.parent, (parent_kind.value,), exclude_path=unit.path)
    if not form.validate_on_submit() or not form.parent.data:
        if not form.parent.errors:
            form.parent.errors = [_("Choose the new parent unit.")]
        return _render_unit(unit, move_form=form, status=400)
    try:
        unit_ops.move_unit(
            db.session,
            unit,
            db.session.get(Unit, form.parent.data),
            actor=current_user,
            ip=client_ip(),
        )
    except PeopleError as error:
        db.session.rollback()
        show_error(form, error)
        return _render_unit(unit, move_form=form, status=400)
    db.session.commit()
    flash(_("%(name)s has been moved.", name=unit.name), "success")
    return redirect(url_for("admin.unit", unit_id=unit.id), 303)


@bp.route("/units/<int:unit_id>/close", methods=["GET", "POST"])
@roles_required(Role.ADMIN)
def close_unit(unit_id: int):
    """Close a unit after a confirmation step; its history stays."""
    unit = _unit_or_404(unit_id)
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            unit_ops.close_unit(db.session, unit, actor=current_user, ip=client_ip())
        except PeopleError as exc:
            db.session.rollback()
            error = error_text(exc)
        else:
            db.session.commit()
            flash(_("%(name)s has been closed.", name=unit.name), "success")
            return redirect(url_for("admin.unit", unit_id=unit.id), 303)
    page = render_template("people/admin/unit_close.html", unit=unit, form=form, error=error)
    return page, 400 if error else 200


# --- providers --------------------------------------------------------------------------


def _render_providers(add_form=None, rename_forms=None, status: int = 200):
    providers = all_providers(db.session)
    rename_forms = rename_forms or {}
    forms = {
        p.id: rename_forms.get(p.id)
        or ProviderRenameForm(formdata=None, prefix=f"p{p.id}", name=p.name)
        for p in providers
    }
    return (
        render_template(
            "people/admin/providers.html",
            providers=providers,
            add_form=add_form or ProviderAddForm(formdata=None),
            rename_forms=forms,
        ),
        status,
    )


@bp.get("/providers")
@roles_required(Role.ADMIN)
def providers():
    """The content providers, with forms to add and rename them."""
    return _render_providers()


@bp.post("/providers/add")
@roles_required(Role.ADMIN)
def add_provider():
    """Add a content provider."""
    form = ProviderAddForm()
    if not form.validate_on_submit():
        return _render_providers(add_form=form, status=400)
    try:
        provider = unit_ops.create_provider(
            db.session, slug=form.slug.data, name=form.name.data, actor=current_user, ip=client_ip()
        )
    except PeopleError as error:
        db.session.rollback()
        show_error(form, error)
        return _render_providers(add_form=form, status=400)
    db.session.commit()
    flash(_("%(name)s has been added.", name=provider.name), "success")
    return redirect(url_for("admin.providers"), 303)


@bp.post("/providers/<int:provider_id>/rename")
@roles_required(Role.ADMIN)
def rename_provider(provider_id: int):
    """Give a provider a new name."""
    provider = db.session.get(Provider, provider_id)
    if provider is None:
        abort(404)
    form = ProviderRenameForm(prefix=f"p{provider.id}")
    if not form.validate_on_submit():
        return _render_providers(rename_forms={provider.id: form}, status=400)
    try:
        unit_ops.rename_provider(
            db.session, provider, form.name.data, actor=current_user, ip=client_ip()
        )
    except PeopleError as error:
        db.session.rollback()
        show_error(form, error)
        return _render_providers(rename_forms={provider.id: form}, status=400)
    db.session.commit()
    flash(_("The provider is now called %(name)s.", name=provider.name), "success")
    return redirect(url_for("admin.providers"), 303)
