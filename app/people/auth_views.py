"""Sign in, sign out, password reset and profile."""

from __future__ import annotations

from datetime import timedelta

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_babel import force_locale
from flask_babel import gettext as _
from flask_login import current_user

from app.audit import record_event
from app.db import utcnow
from app.extensions import db
from app.notifications.operations import enqueue_email
from app.people.forms import (
    ChangePasswordForm,
    LanguageForm,
    LoginForm,
    NewPasswordForm,
    ProfileForm,
    ResetRequestForm,
)
from app.people.models import User
from app.people.operations import authenticate, end_sessions, find_user_by_email, set_password
from app.people.passwords import check_password_policy, verify_password
from app.people.reset_tokens import ResetTokenError, make_reset_token, read_reset_token
from app.people.safe_redirect import safe_next_path
from app.people.sessions import end_session, sign_in, start_session
from app.permissions import public, signed_in
from app.ratelimit import count_hit

bp = Blueprint("auth", __name__)


def _window() -> timedelta:
    return timedelta(minutes=current_app.config["RATE_LIMIT_WINDOW_MINUTES"])


def _over_limit(kind: str, email: str) -> bool:
    """Count this attempt per account and per address; True when either limit is passed."""
    now = utcnow()
    cfg = current_app.config
    per_account = count_hit(db.session, f"{kind}:account:{email.lower()}", now, _window())
    per_address = count_hit(db.session, f"{kind}:address:{request.remote_addr}", now, _window())
    limit_key = "LOGIN" if kind == "login" else "RESET"
    return (
        per_account > cfg[f"{limit_key}_LIMIT_PER_ACCOUNT"]
        or per_address > cfg[f"{limit_key}_LIMIT_PER_ADDRESS"]
    )


@bp.route("/login", methods=["GET", "POST"])
@public
def login():
    """Show the sign-in form and sign the user in."""
    form = LoginForm()
    if request.method == "GET":
        form.next.data = safe_next_path(request.args.get("next"), "")
    if current_user.is_authenticated and request.method == "GET":
        return redirect(safe_next_path(request.args.get("next"), url_for("main.home")))
    status = 200
    if form.validate_on_submit():
        email = form.email.data.strip()
        if _over_limit("login", email):
            record_event(db.session, "login.throttled", ip_address=request.remote_addr, email=email)
            db.session.commit()
            flash(_("Too many sign-in attempts. Please wait a few minutes and try again."), "error")
            return render_template("people/login.html", form=form), 429
        user = authenticate(
            db.session, email, form.password.data, current_app.config["PASSWORD_HASH"]
        )
        if user is None:
            record_event(db.session, "login.failed", ip_address=request.remote_addr, email=email)
            db.session.commit()
            flash(_("The e-mail address or the password is not correct."), "error")
            status = 401
        else:
            sign_in(user, method="password", ip=request.remote_addr)
            return redirect(safe_next_path(form.next.data, url_for("main.home")))
    elif request.method == "POST":
        status = 400
    return render_template("people/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    """Sign out here and end every other session of this user on the server."""
    user = db.session.get(User, current_user.id)
    end_sessions(user)
    record_event(db.session, "logout", actor_id=user.id, ip_address=request.remote_addr)
    db.session.commit()
    from app.people.sso import ID_TOKEN_KEY, provider_logout

    id_token = session.get(ID_TOKEN_KEY)
    end_session()
    flash(_("You are signed out."), "info")
    # Signed in through the provider: end that session too (RP-initiated log-out).
    return provider_logout(id_token) or redirect(url_for("auth.login"))


def _send_reset_mail(user: User) -> None:
    token = make_reset_token(current_app.config["SECRET_KEY"], user)
    link = url_for("auth.reset_password", token=token, _external=True)
    with force_locale(
        f"{user.preferred_language or current_app.config['BABEL_DEFAULT_LOCALE']}_CH"
    ):
        subject = _("Choose a new password")
        text = render_template("people/email/reset.txt", user=user, link=link)
        html = render_template("people/email/reset.html", user=user, link=link)
    enqueue_email(
        db.session,
        to_address=user.email,
        subject=subject,
        body_text=text,
        body_html=html,
        user_id=user.id,
    )


@bp.route("/reset", methods=["GET", "POST"])
@public
def request_reset():
    """Ask for a reset link; the answer is the same whether or not the account exists."""
    form = ResetRequestForm()
    if form.validate_on_submit():
        email = form.email.data.strip()
        if _over_limit("reset", email):
            db.session.commit()
            flash(_("Too many requests. Please wait a few minutes and try again."), "error")
            return render_template("people/reset_request.html", form=form), 429
        user = find_user_by_email(db.session, email)
        if user is not None and user.is_active:
            _send_reset_mail(user)
            record_event(
                db.session,
                "password.reset_requested",
                object_type="user",
                object_id=user.id,
                ip_address=request.remote_addr,
            )
        db.session.commit()
        from app.notifications.delivery import deliver_after_request

        deliver_after_request()
        flash(
            _(
                "If an account exists for this address, we have sent it a link to choose a new "
                "password. The link works once, within one hour."
            ),
            "info",
        )
        return redirect(url_for("auth.login"))
    status = 400 if request.method == "POST" else 200
    return render_template("people/reset_request.html", form=form), status


@bp.route("/reset/<token>", methods=["GET", "POST"])
@public
def reset_password(token: str):
    """Choose a new password with a valid reset token."""
    try:
        user = read_reset_token(
            current_app.config["SECRET_KEY"], token, lambda uid: db.session.get(User, uid)
        )
    except ResetTokenError as exc:
        messages = {
            "expired": _("This link has expired. Please ask for a new one."),
            "used": _("This link has already been used. Please ask for a new one."),
            "invalid": _("This link is not valid. Please ask for a new one."),
        }
        flash(messages[exc.reason], "error")
        return render_template("people/reset_invalid.html"), 400
    form = NewPasswordForm()
    status = 200
    if form.validate_on_submit():
        policy = check_password_policy(
            form.password.data, personal=(user.email, user.first_name, user.last_name)
        )
        if policy.ok:
            set_password(user, form.password.data, current_app.config["PASSWORD_HASH"])
            record_event(
                db.session, "password.reset", actor_id=user.id, ip_address=request.remote_addr
            )
            db.session.commit()
            end_session()
            flash(_("Your password has been changed. Please sign in."), "info")
            return redirect(url_for("auth.login"))
        form.password.errors = [_(p) for p in policy.problems]
        status = 400
    elif request.method == "POST":
        status = 400
    return render_template("people/reset_password.html", form=form, token=token), status


@bp.route("/language", methods=["POST"])
@public
def set_language():
    """Remember the chosen interface language (the switcher on signed-out pages)."""
    form = LanguageForm()
    target = safe_next_path(form.next.data, url_for("main.home"))
    if not form.validate_on_submit():
        flash(_("This language is not available."), "error")
        return redirect(target), 303
    session["lang"] = form.language.data
    if current_user.is_authenticated:
        user = db.session.get(User, current_user.id)
        user.preferred_language = form.language.data
        db.session.commit()
    return redirect(target), 303


@bp.route("/profile", methods=["GET", "POST"])
@signed_in
def profile():
    """Show one's own account, change the language or the password."""
    user = db.session.get(User, current_user.id)
    language_form = ProfileForm(prefix="lang", preferred_language=user.preferred_language)
    password_form = ChangePasswordForm(prefix="pw")
    status = 200
    if request.method == "POST":
        if "lang-submit" in request.form:
            if language_form.validate_on_submit():
                user.preferred_language = language_form.preferred_language.data
                session["lang"] = user.preferred_language
                db.session.commit()
                flash(_("Your language has been saved."), "success")
                return redirect(url_for("auth.profile"))
            status = 400
        elif "pw-submit" in request.form:
            if password_form.validate_on_submit():
                params = current_app.config["PASSWORD_HASH"]
                if not verify_password(user.password_hash, password_form.current.data, params):
                    password_form.current.errors = [_("The current password is not correct.")]
                    status = 400
                else:
                    policy = check_password_policy(
                        password_form.password.data,
                        personal=(user.email, user.first_name, user.last_name),
                    )
                    if policy.ok:
                        set_password(user, password_form.password.data, params)
                        record_event(
                            db.session,
                            "password.changed",
                            actor_id=user.id,
                            ip_address=request.remote_addr,
                        )
                        db.session.commit()
                        # Other sessions are dead now; this one continues with the new version.
                        start_session(user)
                        flash(_("Your password has been changed."), "success")
                        return redirect(url_for("auth.profile"))
                    password_form.password.errors = [_(p) for p in policy.problems]
                    status = 400
            else:
                status = 400
        else:
            abort(400)
    return (
        render_template(
            "people/profile.html",
            user=user,
            language_form=language_form,
            password_form=password_form,
        ),
        status,
    )
