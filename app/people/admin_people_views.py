"""Administration pages of people and their roles, within the viewer's scope.

Managers manage the people of their own subtree whose roles reach no further than theirs
(scope by rank, see app/permissions.py).
"""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.extensions import db
from app.people import operations as ops
from app.people import role_operations as role_ops
from app.people.admin_common import (
    PER_PAGE,
    bp,
    client_ip,
    error_text,
    int_arg,
    is_admin_viewer,
    manageable,
    person_or_404,
    refuse,
    show_error,
)
from app.people.admin_forms import ConfirmForm, PersonForm, RoleGrantForm, role_choices
from app.people.field_rules import PeopleError
from app.people.models import Provider, Role, RoleAssignment, Unit, User
from app.people.queries import all_providers, open_unit_choices, people_page
from app.permissions import Action, RoleGrant, may, roles_required

# --- people -----------------------------------------------------------------------------


@bp.get("/people")
@roles_required(Role.MANAGER, Role.ADMIN)
def people():
    """People in the viewer's scope, searchable and paged, with links to manage them."""
    search = request.args.get("q", "")[:100]
    page = int_arg("page", 1, 100_000)
    rows, total = people_page(db.session, current_user, search=search, page=page, per_page=PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    return render_template(
        "people/admin/people.html", rows=rows, total=total, page=page, pages=pages, search=search
    )


def _unit_choices_for(form: PersonForm, current: Unit | None = None) -> None:
    choices = [(u.id, f"{u.label} ({u.code})") for u in open_unit_choices(db.session, current_user)]
    if current is not None and all(cid != current.id for cid, _label in choices):
        # The person's present unit stays selectable (closed or outside a picker) so
        # editing a name never moves anyone by accident.
        choices.insert(0, (current.id, current.name))
    if is_admin_viewer():
        choices.insert(0, (0, _("No unit")))
    form.unit.choices = choices


def _chosen_unit(form: PersonForm, person: User | None) -> Unit | None:
    """Return the unit picked in the form, refusing one outside the viewer's scope."""
    if not form.unit.data:
        if not is_admin_viewer():
            refuse(_("Only an administrator can leave a person without a unit."))
        return None
    unit = db.session.get(Unit, form.unit.data)
    if unit is None:
        abort(404)
    unchanged = person is not None and person.unit_id == unit.id
    if not unchanged and not may(current_user, Action.PLACE_IN_UNIT, unit):
        refuse(_("%(unit)s is outside your units.", unit=unit.name), obj=unit)
    return unit


@bp.route("/people/new", methods=["GET", "POST"])
@roles_required(Role.MANAGER, Role.ADMIN)
def new_person():
    """Add a person to a unit within the viewer's scope."""
    form = PersonForm()
    _unit_choices_for(form)
    if form.validate_on_submit():
        unit = _chosen_unit(form, None)
        try:
            person = ops.create_person(
                db.session,
                email=form.email.data,
                first_name=form.first_name.data,
                last_name=form.last_name.data,
                unit=unit,
                language=form.preferred_language.data or None,
                hr_number=form.hr_number.data,
                actor=current_user,
                ip=client_ip(),
            )
        except PeopleError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            from app.people.invitations import send_invitation

            send_invitation(db.session, person, actor=current_user, ip=client_ip())
            db.session.commit()
            from app.notifications.delivery import deliver_after_request

            deliver_after_request()
            flash(_("%(name)s has been added.", name=person.display_name), "success")
            return redirect(url_for("admin.person_roles", user_id=person.id), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("people/admin/person_form.html", form=form, person=None), status


@bp.route("/people/<int:user_id>/edit", methods=["GET", "POST"])
@roles_required(Role.MANAGER, Role.ADMIN)
def edit_person(user_id: int):
    """Change a person's name, e-mail, language, HR number or unit (a move)."""
    person = manageable(person_or_404(user_id))
    if request.method == "GET":
        form = PersonForm(obj=person)
        form.preferred_language.data = person.preferred_language or ""
        form.unit.data = person.unit_id or 0
    else:
        form = PersonForm()
    _unit_choices_for(form, person.unit)
    if form.validate_on_submit():
        unit = _chosen_unit(form, person)
        try:
            changed = ops.update_person(
                db.session,
                person,
                actor=current_user,
                ip=client_ip(),
                email=form.email.data,
                first_name=form.first_name.data,
                last_name=form.last_name.data,
                preferred_language=form.preferred_language.data or None,
                hr_number=form.hr_number.data,
                unit=unit,
            )
        except PeopleError as error:
            db.session.rollback()
            show_error(form, error)
        else:
            db.session.commit()
            if changed:
                flash(_("The changes to %(name)s are saved.", name=person.display_name), "success")
            else:
                flash(_("Nothing was changed."), "info")
            return redirect(url_for("people.person", user_id=person.id), 303)
    status = 400 if form.is_submitted() else 200
    return render_template("people/admin/person_form.html", form=form, person=person), status


@bp.route("/people/<int:user_id>/deactivate", methods=["GET", "POST"])
@roles_required(Role.MANAGER, Role.ADMIN)
def deactivate_person(user_id: int):
    """Deactivate a person after a confirmation step."""
    person = manageable(person_or_404(user_id))
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            ops.deactivate_user(db.session, person, actor=current_user, ip=client_ip())
        except PeopleError as exc:
            db.session.rollback()
            error = error_text(exc)
        else:
            db.session.commit()
            flash(_("%(name)s has been deactivated.", name=person.display_name), "success")
            return redirect(url_for("people.person", user_id=person.id), 303)
    page = render_template(
        "people/admin/person_deactivate.html", person=person, form=form, error=error
    )
    return page, 400 if error else 200


@bp.post("/people/<int:user_id>/reactivate")
@roles_required(Role.MANAGER, Role.ADMIN)
def reactivate_person(user_id: int):
    """Let a deactivated person sign in again."""
    person = manageable(person_or_404(user_id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ops.reactivate_user(db.session, person, actor=current_user, ip=client_ip())
    except PeopleError as exc:
        db.session.rollback()
        flash(error_text(exc), "error")
    else:
        db.session.commit()
        flash(_("%(name)s can sign in again.", name=person.display_name), "success")
    return redirect(url_for("people.person", user_id=person.id), 303)


# --- roles ------------------------------------------------------------------------------


def _grant_choices(form: RoleGrantForm) -> None:
    admin = is_admin_viewer()
    allowed = {Role.LEARNER.value, Role.MANAGER.value}
    if admin:
        allowed |= {Role.TRAINER.value, Role.ADMIN.value}
    form.role.choices = [(value, label) for value, label in role_choices() if value in allowed]
    form.unit.choices = [(0, _("Not needed"))] + [
        (u.id, f"{u.label} ({u.code})") for u in open_unit_choices(db.session, current_user)
    ]
    form.provider.choices = [(0, _("Not needed"))]
    if admin:
        form.provider.choices += [(p.id, p.name) for p in all_providers(db.session)]


def _render_roles(person: User, form: RoleGrantForm | None = None, status: int = 200):
    if form is None:
        form = RoleGrantForm(formdata=None)
    _grant_choices(form)
    revocable = {a.id for a in person.roles if may(current_user, Action.REVOKE_ROLE, a)}
    return (
        render_template(
            "people/admin/roles.html",
            person=person,
            form=form,
            revocable=revocable,
            can_manage=may(current_user, Action.MANAGE_PERSON, person),
            confirm_form=ConfirmForm(),
            role_labels=dict(role_choices()),
        ),
        status,
    )


@bp.get("/people/<int:user_id>/roles")
@roles_required(Role.MANAGER, Role.ADMIN)
def person_roles(user_id: int):
    """A person's roles with their scope, and a form to grant another."""
    return _render_roles(person_or_404(user_id))


@bp.post("/people/<int:user_id>/roles/grant")
@roles_required(Role.MANAGER, Role.ADMIN)
def grant_role(user_id: int):
    """Grant a role in a scope no wider than the granter's own."""
    person = manageable(person_or_404(user_id))
    form = RoleGrantForm()
    # The form accepts any role, unit and provider; whether this granter may give that is
    # the permission rule's answer below, which refuses (and logs) rather than hiding it.
    if not form.validate_on_submit():
        return _render_roles(person, form, 400)
    if form.role.data not in Role._value2member_map_:
        form.role.errors = [_("Choose a role.")]
        return _render_roles(person, form, 400)
    role = Role(form.role.data)
    unit = db.session.get(Unit, form.unit.data) if form.unit.data else None
    provider = db.session.get(Provider, form.provider.data) if form.provider.data else None
    if (form.unit.data and unit is None) or (form.provider.data and provider is None):
        abort(404)
    grant = RoleGrant(person, role, unit if role == Role.MANAGER else None, form.provider.data)
    if not may(current_user, Action.GRANT_ROLE, grant):
        refuse(_("You cannot grant this role: it would reach beyond your own scope."), obj=person)
    try:
        role_ops.grant_role(
            db.session,
            person,
            role,
            unit=unit,
            provider=provider,
            actor=current_user,
            ip=client_ip(),
        )
    except PeopleError as error:
        db.session.rollback()
        show_error(form, error)
        return _render_roles(person, form, 400)
    db.session.commit()
    flash(_("The role has been granted to %(name)s.", name=person.display_name), "success")
    return redirect(url_for("admin.person_roles", user_id=person.id), 303)


@bp.post("/roles/<int:assignment_id>/revoke")
@roles_required(Role.MANAGER, Role.ADMIN)
def revoke_role(assignment_id: int):
    """Take back one role assignment."""
    assignment = db.session.get(RoleAssignment, assignment_id)
    if assignment is None or not may(current_user, Action.VIEW_PERSON, assignment.user):
        refuse(_("This role does not exist or is outside your units."), status=404)
    person = assignment.user
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not may(current_user, Action.REVOKE_ROLE, assignment):
        refuse(_("You cannot take back this role: it reaches beyond your own scope."), obj=person)
    try:
        role_ops.revoke_role(db.session, assignment, actor=current_user, ip=client_ip())
    except PeopleError as exc:
        db.session.rollback()
        flash(error_text(exc), "error")
    else:
        db.session.commit()
        flash(_("The role has been taken back."), "success")
    return redirect(url_for("admin.person_roles", user_id=person.id), 303)
