"""The signed record, its public check, and the managers' lists of who has (not) confirmed."""

from __future__ import annotations

from typing import Any

from flask import (
    Response,
    abort,
    current_app,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user

from app.attestations.blueprint import bp
from app.attestations.queries import (
    attestation_summaries,
    attestation_title,
    people_in_scope,
    published_attestation,
    signed_record,
)
from app.content.views import LANGUAGE_LABELS
from app.extensions import db
from app.i18n.request_language import select_language
from app.people.models import Role
from app.permissions import ensure, public, roles_required, signed_in
from app.timekeeping import clock
from app.tracking.certificates import format_code, normalise_code
from app.tracking.views import VIEW_CERTIFICATE


@bp.get("/records/<code>")
@signed_in
def record(code: str):
    """The printable signed record: who confirmed which version of which text, when and how."""
    found = signed_record(db.session, code[:40], language=select_language(), now=clock.now())
    ensure(VIEW_CERTIFICATE, found.cert if found else None)
    assert found is not None
    code = format_code(found.cert.code)
    return render_template(
        "attestations/record.html",
        record=found,
        language_name=LANGUAGE_LABELS.get(found.language, found.language),
        code=code,
        verify_url=url_for(".verify", code=code, _external=True),
    )


@bp.get("/verify")
@public
def verify_form():
    """Let anyone type the code printed on a signed record (GET form, no sign-in)."""
    typed = request.args.get("code")
    if typed is not None:
        normalised = normalise_code(typed)
        if normalised is not None:
            return redirect(url_for(".verify", code=format_code(normalised)), 303)
        return _verification_page(None, typed=typed[:40], status=404)
    return _verification_page(None, typed="")


@bp.get("/verify/<code>")
@public
def verify(code: str):
    """Public check of a signed record: name, text, version, date, fingerprint, still valid."""
    found = signed_record(db.session, code[:40], language=select_language(), now=clock.now())
    return _verification_page(found, typed=code[:40], status=200 if found else 404)


def _verification_page(found: Any, *, typed: str, status: int = 200) -> Response:
    response = current_app.make_response(
        (
            render_template(
                "attestations/verify.html",
                record=found,
                typed=typed,
                code=format_code(found.cert.code) if found else None,
                checked_at=clock.now(),
            ),
            status,
        )
    )
    # Like the certificate check: never indexed, never leaking the code in a Referer.
    response.headers["X-Robots-Tag"] = "noindex, nofollow"
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


@bp.get("/")
@roles_required(Role.MANAGER, Role.ADMIN)
def overview():
    """Managers: every attestation with how many people in their scope have (not) confirmed."""
    summaries = attestation_summaries(
        db.session, current_user, language=select_language(), now=clock.now()
    )
    return render_template("attestations/overview.html", summaries=summaries)


@bp.get("/<slug>/people")
@roles_required(Role.MANAGER, Role.ADMIN)
def people(slug: str):
    """Managers: who in their scope has not confirmed the current version (listed first)."""
    module = published_attestation(db.session, slug)
    if module is None:
        abort(404)
    rows = people_in_scope(db.session, current_user, module, now=clock.now())
    return render_template(
        "attestations/people.html",
        module=module,
        title=attestation_title(module, select_language()),
        rows=rows,
        pending=sum(1 for row in rows if row.state != "confirmed"),
    )
