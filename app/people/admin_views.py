"""Administration pages: the unit tree, content providers, people, roles and the audit log.

Admins see everything; managers manage the people of their own subtree whose roles reach no
further than theirs (scope by rank, see app/permissions.py). Each view loads the objects,
asks `may(...)`, calls one operation and commits once.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from typing import Any, NoReturn

from flask import (
    Blueprint,
    Flask,
    Response,
    abort,
    flash,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from wtforms import Field

from app.extensions import db
from app.people import operations as ops
from app.people import role_operations as role_ops
from app.people import unit_operations as unit_ops
from app.people.admin_forms import (
    AuditFilterForm,
    ConfirmForm,
    PersonForm,
    ProviderAddForm,
    ProviderRenameForm,
    RoleGrantForm,
    UnitAddForm,
    UnitMoveForm,
    UnitRenameForm,
    role_choices,
)
from app.people.field_rules import PeopleError
from app.people.models import Provider, Role, RoleAssignment, Unit, UnitKind, User
from app.people.queries import (
    AuditFilter,
    all_providers,
    audit_actions,
    audit_page,
    audit_rows,
    open_unit_choices,
    people_page,
    unit_tree,
)
from app.permissions import Action, RoleGrant, may, roles_required
from app.platform.audit import record_event_on_its_own
from app.platform.hooks import NAV_ENTRIES
from app.web.csv_export import csv_bytes

bp = Blueprint("admin", __name__, url_prefix="/admin")

PER_PAGE = 50
_PARENT_KIND = {UnitKind.REGION: UnitKind.NETWORK, UnitKind.BRANCH: UnitKind.REGION}


def register(app: Flask) -> None:
    """Attach the administration pages, their commands and their entry in the navigation."""
    from app.people.cli import providers_cli, units_cli

    app.register_blueprint(bp)
    # The same operations for scripts (`flask units ...`, `flask providers ...`); `flask
    # users ...` is registered with the other account commands.
    app.cli.add_command(units_cli)
    app.cli.add_command(providers_cli)
    NAV_ENTRIES.connect(app, ("admin.index", _l("Administration"), {Role.MANAGER, Role.ADMIN}))


# --- refusals and errors ----------------------------------------------------------------


def _refuse(message: str, *, status: int = 403, obj: Any = None) -> NoReturn:
    """Log the refusal in the audit log, then answer with a page that says why."""
    record_event_on_its_own(
        db.session,
        "access.refused",
        actor_id=current_user.id,
        object_type=_object_type(obj),
        object_id=getattr(obj, "id", None),
        ip_address=request.remote_addr,
        endpoint=request.endpoint,
        reason=message,
    )
    page = render_template("people/admin/refused.html", message=message, status=status)
    abort(make_response(page, status))


def _object_type(obj: Any) -> str | None:
    return {User: "user", Unit: "unit", Provider: "provider", RoleAssignment: "role"}.get(type(obj))


def _person_or_404(user_id: int) -> User:
    """Load a person the viewer may see; others are answered 404 (and logged)."""
    person = db.session.get(User, user_id)
    if person is None or not may(current_user, Action.VIEW_PERSON, person):
        _refuse(_("This person does not exist or is outside your units."), status=404)
    return person


def _manageable(person: User) -> User:
    """Refuse (403, logged) unless the viewer may change this person."""
    if not may(current_user, Action.MANAGE_PERSON, person):
        if person.id == current_user.id:
            _refuse(_("You cannot change your own account or roles here."), obj=person)
        _refuse(
            _(
                "%(name)s has roles that reach beyond your own scope; "
                "only someone with a wider role can change this person.",
                name=person.display_name,
            ),
            obj=person,
        )
    return person


# Operation messages start with the field they concern ("e-mail: ..."); the form shows the
# message next to that field.
_FIELD_OF_MESSAGE = {
    "e-mail": "email",
    "first name": "first_name",
    "last name": "last_name",
    "language": "preferred_language",
    "HR number": "hr_number",
    "unit": "unit",
    "code": "code",
    "name": "name",
    "parent": "parent",
    "slug": "slug",
    "role": "role",
    "provider": "provider",
}


def _error_text(error: PeopleError) -> str:
    """Return an operation's refusal in the reader's language, without its field prefix."""
    if error.template:
        return _(error.template, **error.params)
    return str(error).partition(": ")[2] or str(error)


def _show_error(form: Any, error: PeopleError) -> None:
    """Put an operation's refusal next to the field it names (or at the top of the form)."""
    message = str(error)
    prefix, _sep, _rest = message.partition(": ")
    rest = _error_text(error)
    name = _FIELD_OF_MESSAGE.get(prefix)
    field: Field | None = getattr(form, name, None) if name else None
    if field is not None:
        field.errors = [*field.errors, rest]
    else:
        form.form_errors.append(message)


def _int_arg(name: str, default: int, upper: int) -> int:
    try:
        return max(1, min(int(request.args.get(name, default)), upper))
    except ValueError:
        return default


def _ip() -> str | None:
    return request.remote_addr


# --- overview ---------------------------------------------------------------------------


@bp.get("/")
@roles_required(Role.MANAGER, Role.ADMIN)
def index():
    """The administration start page: what the viewer may manage."""
    return render_template("people/admin/index.html", is_admin=may(current_user, Action.ADMINISTER))


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
            ip=_ip(),
        )
    except PeopleError as error:
        db.session.rollback()
        _show_error(form, error)
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
        unit_ops.rename_unit(db.session, unit, form.name.data, actor=current_user, ip=_ip())
    except PeopleError as error:
        db.session.rollback()
        _show_error(form, error)
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
            db.session, unit, db.session.get(Unit, form.parent.data), actor=current_user, ip=_ip()
        )
    except PeopleError as error:
        db.session.rollback()
        _show_error(form, error)
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
            unit_ops.close_unit(db.session, unit, actor=current_user, ip=_ip())
        except PeopleError as exc:
            db.session.rollback()
            error = _error_text(exc)
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
            db.session, slug=form.slug.data, name=form.name.data, actor=current_user, ip=_ip()
        )
    except PeopleError as error:
        db.session.rollback()
        _show_error(form, error)
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
        unit_ops.rename_provider(db.session, provider, form.name.data, actor=current_user, ip=_ip())
    except PeopleError as error:
        db.session.rollback()
        _show_error(form, error)
        return _render_providers(rename_forms={provider.id: form}, status=400)
    db.session.commit()
    flash(_("The provider is now called %(name)s.", name=provider.name), "success")
    return redirect(url_for("admin.providers"), 303)


# --- people -----------------------------------------------------------------------------


@bp.get("/people")
@roles_required(Role.MANAGER, Role.ADMIN)
def people():
    """People in the viewer's scope, searchable and paged, with links to manage them."""
    search = request.args.get("q", "")[:100]
    page = _int_arg("page", 1, 100_000)
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


def is_admin_viewer() -> bool:
    """Tell whether the current viewer is an administrator."""
    return may(current_user, Action.ADMINISTER)


def _chosen_unit(form: PersonForm, person: User | None) -> Unit | None:
    """Return the unit picked in the form, refusing one outside the viewer's scope."""
    if not form.unit.data:
        if not is_admin_viewer():
            _refuse(_("Only an administrator can leave a person without a unit."))
        return None
    unit = db.session.get(Unit, form.unit.data)
    if unit is None:
        abort(404)
    unchanged = person is not None and person.unit_id == unit.id
    if not unchanged and not may(current_user, Action.PLACE_IN_UNIT, unit):
        _refuse(_("%(unit)s is outside your units.", unit=unit.name), obj=unit)
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
                ip=_ip(),
            )
        except PeopleError as error:
            db.session.rollback()
            _show_error(form, error)
        else:
            from app.people.invitations import send_invitation

            send_invitation(db.session, person, actor=current_user, ip=_ip())
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
    person = _manageable(_person_or_404(user_id))
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
                ip=_ip(),
                email=form.email.data,
                first_name=form.first_name.data,
                last_name=form.last_name.data,
                preferred_language=form.preferred_language.data or None,
                hr_number=form.hr_number.data,
                unit=unit,
            )
        except PeopleError as error:
            db.session.rollback()
            _show_error(form, error)
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
    person = _manageable(_person_or_404(user_id))
    form = ConfirmForm()
    error = None
    if form.validate_on_submit():
        try:
            ops.deactivate_user(db.session, person, actor=current_user, ip=_ip())
        except PeopleError as exc:
            db.session.rollback()
            error = _error_text(exc)
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
    person = _manageable(_person_or_404(user_id))
    if not ConfirmForm().validate_on_submit():
        abort(400)
    try:
        ops.reactivate_user(db.session, person, actor=current_user, ip=_ip())
    except PeopleError as exc:
        db.session.rollback()
        flash(_error_text(exc), "error")
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
    return _render_roles(_person_or_404(user_id))


@bp.post("/people/<int:user_id>/roles/grant")
@roles_required(Role.MANAGER, Role.ADMIN)
def grant_role(user_id: int):
    """Grant a role in a scope no wider than the granter's own."""
    person = _manageable(_person_or_404(user_id))
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
        _refuse(_("You cannot grant this role: it would reach beyond your own scope."), obj=person)
    try:
        role_ops.grant_role(
            db.session, person, role, unit=unit, provider=provider, actor=current_user, ip=_ip()
        )
    except PeopleError as error:
        db.session.rollback()
        _show_error(form, error)
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
        _refuse(_("This role does not exist or is outside your units."), status=404)
    person = assignment.user
    if not ConfirmForm().validate_on_submit():
        abort(400)
    if not may(current_user, Action.REVOKE_ROLE, assignment):
        _refuse(_("You cannot take back this role: it reaches beyond your own scope."), obj=person)
    try:
        role_ops.revoke_role(db.session, assignment, actor=current_user, ip=_ip())
    except PeopleError as exc:
        db.session.rollback()
        flash(_error_text(exc), "error")
    else:
        db.session.commit()
        flash(_("The role has been taken back."), "success")
    return redirect(url_for("admin.person_roles", user_id=person.id), 303)


# --- audit log --------------------------------------------------------------------------


def _audit_filter(form: AuditFilterForm) -> AuditFilter:
    """Turn the (validated) filter form into a query filter; dates are whole UTC days."""
    since = datetime.combine(form.since.data, time.min, tzinfo=UTC) if form.since.data else None
    until = (
        datetime.combine(form.until.data + timedelta(days=1), time.min, tzinfo=UTC)
        if form.until.data
        else None
    )
    return AuditFilter(
        action=(form.action.data or "")[:64],
        actor=(form.actor.data or "")[:254],
        object_type=(form.object_type.data or "")[:64],
        object_id=form.object_id.data,
        since=since,
        until=until,
    )


def _audit_form() -> AuditFilterForm:
    form = AuditFilterForm(request.args)
    form.action.choices = [("", _("Any"))] + [(a, a) for a in audit_actions(db.session)]
    return form


@bp.get("/audit")
@roles_required(Role.ADMIN)
def audit():
    """The audit log, filtered and paged, newest first."""
    form = _audit_form()
    valid = form.validate()
    filters = _audit_filter(form) if valid else AuditFilter()
    page = _int_arg("page", 1, 100_000)
    rows, total = audit_page(db.session, filters, page=page, per_page=PER_PAGE)
    pages = max(1, -(-total // PER_PAGE))
    args = {k: v for k, v in request.args.items() if k != "page" and v}
    status = 200 if valid else 400
    return (
        render_template(
            "people/admin/audit.html",
            form=form,
            rows=rows,
            total=total,
            page=page,
            pages=pages,
            args=args,
        ),
        status,
    )


AUDIT_COLUMNS = (
    "id",
    "occurred_at",
    "action",
    "actor_id",
    "actor_email",
    "object_type",
    "object_id",
    "ip_address",
    "before",
    "after",
    "details",
)


@bp.get("/audit.csv")
@roles_required(Role.ADMIN)
def audit_csv():
    """The filtered audit log as a CSV file that spreadsheets cannot run as formulas."""
    import json

    form = _audit_form()
    if not form.validate():
        abort(400)
    filters = _audit_filter(form)

    def rows():
        for row in audit_rows(db.session, filters):
            details = dict(row.details)
            before = details.pop("before", None)
            after = details.pop("after", None)
            yield (
                row.id,
                row.occurred_at,
                row.action,
                row.actor_id,
                row.actor_email,
                row.object_type,
                row.object_id,
                row.ip_address,
                json.dumps(before, ensure_ascii=False, sort_keys=True)
                if before is not None
                else "",
                json.dumps(after, ensure_ascii=False, sort_keys=True) if after is not None else "",
                json.dumps(details, ensure_ascii=False, sort_keys=True) if details else "",
            )

    body = csv_bytes(AUDIT_COLUMNS, rows())
    # Exports are audited too; the GET only read so far, so the row gets its own transaction.
    record_event_on_its_own(
        db.session,
        "audit.exported",
        actor_id=current_user.id,
        ip_address=_ip(),
        filters=request.query_string.decode("utf-8", "replace")[:400],
    )
    response = Response(body, mimetype="text/csv")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    response.headers["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
