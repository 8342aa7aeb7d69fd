"""The invitation link: choose a first password and be signed in, or ask for a new link."""

from __future__ import annotations

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import gettext as _
from flask_wtf import FlaskForm

from app.extensions import db
from app.i18n.languages import LANGUAGES
from app.people.forms import NewPasswordForm
from app.people.invitations import (
    InvitationError,
    accept_invitation,
    read_invitation,
    renew_invitation,
)
from app.people.sessions import end_session, start_session
from app.permissions import public
from app.platform.audit import record_event

bp = Blueprint("invitations", __name__)


def _refusal(exc: InvitationError):
    """Render the page that says why a link does not work, and what to do instead."""
    record_event(
        db.session,
        "invitation.refused",
        object_type="user",
        object_id=exc.invitation.user_id if exc.invitation is not None else None,
        ip_address=request.remote_addr,
        reason=exc.reason,
    )
    db.session.commit()
    return (
        render_template("people/invitation_invalid.html", reason=exc.reason, form=FlaskForm()),
        410 if exc.reason in ("expired", "used", "replaced") else 400,
    )


@bp.route("/invitation/<token>", methods=["GET", "POST"])
@public
def accept(token: str):
    """Choose a first password with an invitation link; the person is then signed in."""
    try:
        invitation = read_invitation(db.session, current_app.config["SECRET_KEY"], token)
    except InvitationError as exc:
        return _refusal(exc)
    person = invitation.user
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        policy = accept_invitation(
            db.session, invitation, form.password.data, ip=request.remote_addr
        )
        if policy.ok:
            db.session.commit()
            end_session()  # whoever used this browser before is signed out first
            start_session(person)
            if person.preferred_language in LANGUAGES:
                session["lang"] = person.preferred_language
            flash(
                _("Welcome, %(name)s. Your password has been saved.", name=person.first_name),
                "success",
            )
            return redirect(url_for("main.home"), 303)
        form.password.errors = [_(p) for p in policy.problems]
        status = 400
    elif request.method == "POST":
        status = 400
    return (
        render_template("people/invitation_accept.html", form=form, token=token, person=person),
        status,
    )


@bp.post("/invitation/<token>/renew")
@public
def renew(token: str):
    """Send a new invitation to the owner of an expired (or replaced) link."""
    if not FlaskForm().validate_on_submit():
        return redirect(url_for("invitations.accept", token=token), 303)
    try:
        read_invitation(db.session, current_app.config["SECRET_KEY"], token)
    except InvitationError as exc:
        invitation = exc.invitation
        if exc.reason in ("expired", "replaced") and invitation is not None:
            renew_invitation(db.session, invitation, ip=request.remote_addr)
            db.session.commit()
            from app.notifications.delivery import deliver_after_request

            deliver_after_request()
            # The same answer whether or not a message went out (a recent one may have).
            flash(
                _("A new link is on its way to your e-mail address. It may take a few minutes."),
                "info",
            )
            return redirect(url_for("auth.login"), 303)
        return _refusal(exc)
    # The link still works: nothing to renew.
    return redirect(url_for("invitations.accept", token=token), 303)
