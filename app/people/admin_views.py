"""Administration pages: the start page and the audit log; `register` attaches them all.

Admins see everything; managers manage the people of their own subtree whose roles reach no
further than theirs (scope by rank, see app/permissions.py). Each view loads the objects,
asks `may(...)`, calls one operation and commits once. The pages of units and providers
(`admin_unit_views`) and of people and roles (`admin_people_views`) add their routes to the
same blueprint, so every endpoint is named `admin.<view>`.
"""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

from flask import Flask, Response, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from app.extensions import db
from app.people import (
    admin_people_views,  # noqa: F401 - adds the people and role pages to bp
    admin_unit_views,  # noqa: F401 - adds the unit and provider pages to bp
)
from app.people.admin_common import PER_PAGE, bp, client_ip, int_arg
from app.people.admin_forms import AuditFilterForm
from app.people.models import Role
from app.people.queries import AuditFilter, audit_actions, audit_page, audit_rows
from app.permissions import Action, may, roles_required
from app.platform.audit import record_event_on_its_own
from app.platform.hooks import NAV_ENTRIES
from app.web.csv_export import csv_bytes


def register(app: Flask) -> None:
    """Attach the administration pages, their commands and their entry in the navigation."""
    from app.people.cli import providers_cli, units_cli

    app.register_blueprint(bp)
    # The same operations for scripts (`flask units ...`, `flask providers ...`); `flask
    # users ...` is registered with the other account commands.
    app.cli.add_command(units_cli)
    app.cli.add_command(providers_cli)
    NAV_ENTRIES.connect(app, ("admin.index", _l("Administration"), {Role.MANAGER, Role.ADMIN}))


# --- overview ---------------------------------------------------------------------------


@bp.get("/")
@roles_required(Role.MANAGER, Role.ADMIN)
def index():
    """The administration start page: what the viewer may manage."""
    return render_template("people/admin/index.html", is_admin=may(current_user, Action.ADMINISTER))


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
    page = int_arg("page", 1, 100_000)
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
        ip_address=client_ip(),
        filters=request.query_string.decode("utf-8", "replace")[:400],
    )
    response = Response(body, mimetype="text/csv")
    stamp = datetime.now(UTC).strftime("%Y%m%d-%H%M")
    response.headers["Content-Disposition"] = f'attachment; filename="audit-{stamp}.csv"'
    return response
