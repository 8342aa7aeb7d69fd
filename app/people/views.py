"""The organisation tree and people lists, for managers (their scope) and admins."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.extensions import db
from app.people.field_rules import PeopleError
from app.people.forms import ExtraTimeForm
from app.people.models import Role, User
from app.people.operations import deactivate_user, reactivate_user, set_extra_time
from app.people.queries import people_page, unit_tree
from app.permissions import Action, ensure, may, roles_required

bp = Blueprint("people", __name__)


def _int_arg(name: str, default: int, upper: int) -> int:
    try:
        return max(1, min(int(request.args.get(name, default)), upper))
    except ValueError:
        return default


@bp.get("/units")
@roles_required(Role.MANAGER, Role.ADMIN)
def units():
    """Show the organisation tree within the viewer's scope."""
    return render_template("people/units.html", rows=unit_tree(db.session, current_user))


@bp.get("/people")
@roles_required(Role.MANAGER, Role.ADMIN)
def people():
    """List the people in the viewer's scope, searchable and paged."""
    search = request.args.get("q", "")[:100]
    page = _int_arg("page", 1, 100_000)
    rows, total = people_page(db.session, current_user, search=search, page=page)
    pages = max(1, -(-total // 50))
    return render_template(
        "people/people.html", rows=rows, total=total, page=page, pages=pages, search=search
    )


def _render_person(person: User, extra_time_form: ExtraTimeForm | None = None, status: int = 200):
    can_manage = may(current_user, Action.MANAGE_PERSON, person)
    if can_manage and extra_time_form is None:
        extra_time_form = ExtraTimeForm(formdata=None, extra_time_percent=person.extra_time_percent)
    return (
        render_template(
            "people/person.html",
            person=person,
            form=FlaskForm(),
            can_manage=can_manage,
            extra_time_form=extra_time_form if can_manage else None,
        ),
        status,
    )


@bp.get("/people/<int:user_id>")
@roles_required(Role.MANAGER, Role.ADMIN)
def person(user_id: int):
    """Show one person (only within the viewer's scope)."""
    person = db.session.get(User, user_id)
    ensure(Action.VIEW_PERSON, person)
    return _render_person(person)


@bp.post("/people/<int:user_id>/extra-time")
@roles_required(Role.MANAGER, Role.ADMIN)
def extra_time(user_id: int):
    """Set a person's extra time on timed quizzes (never one's own)."""
    person = db.session.get(User, user_id)
    ensure(Action.MANAGE_PERSON, person)
    form = ExtraTimeForm()
    if not form.validate_on_submit():
        return _render_person(person, form, 400)
    set_extra_time(
        db.session,
        person,
        form.extra_time_percent.data,
        actor=current_user,
        ip=request.remote_addr,
    )
    db.session.commit()
    flash(
        _(
            "Extra time for %(name)s on timed quizzes: %(percent)s %%.",
            name=person.display_name,
            percent=person.extra_time_percent,
        ),
        "success",
    )
    return redirect(url_for("people.person", user_id=person.id), 303)


@bp.post("/people/<int:user_id>/deactivate")
@roles_required(Role.MANAGER, Role.ADMIN)
def deactivate(user_id: int):
    """Deactivate a person: they are signed out everywhere and cannot sign in."""
    person = db.session.get(User, user_id)
    ensure(Action.MANAGE_PERSON, person)
    if FlaskForm().validate_on_submit():
        try:
            deactivate_user(db.session, person, actor=current_user, ip=request.remote_addr)
        except PeopleError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("%(name)s has been deactivated.", name=person.display_name), "success")
    return redirect(url_for("people.person", user_id=person.id), 303)


@bp.post("/people/<int:user_id>/reactivate")
@roles_required(Role.MANAGER, Role.ADMIN)
def reactivate(user_id: int):
    """Let a deactivated person sign in again."""
    person = db.session.get(User, user_id)
    ensure(Action.MANAGE_PERSON, person)
    if FlaskForm().validate_on_submit():
        try:
            reactivate_user(db.session, person, actor=current_user, ip=request.remote_addr)
        except PeopleError as error:
            db.session.rollback()
            flash(str(error), "error")
        else:
            db.session.commit()
            flash(_("%(name)s can sign in again.", name=person.display_name), "success")
    return redirect(url_for("people.person", user_id=person.id), 303)
