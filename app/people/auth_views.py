"""Sign in, sign out, password reset and profile."""

from __future__ import annotations

from datetime import datetime, timedelta

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
from flask_wtf import FlaskForm

from app.extensions import csrf, db
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
from app.people.operations import authenticate, find_user_by_email, set_password
from app.people.passwords import check_password_policy
from app.people.reset_tokens import ResetTokenError, make_reset_token, read_reset_token
from app.people.safe_redirect import safe_next_path
from app.people.sessions import (
    end_browser_sessions,
    end_session,
    end_sessions,
    sign_in,
    start_session,
)
from app.people.signin_throttle import (
    Refusal,
    check_current_password,
    client_address,
    current_rules,
    note_good_check,
    note_reset_request,
    reset_refusal,
    start_password_check,
    throttled,
    too_many_attempts_message,
    wait_phrase,
)
from app.permissions import public, signed_in
from app.platform.audit import record_event
from app.timekeeping import clock
from app.web.links import public_url
from app.web.ratelimit import Limit

bp = Blueprint("auth", __name__)


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
        address = client_address()
        now = clock.now()
        known = find_user_by_email(db.session, email)
        refusal = start_password_check(
            db.session,
            current_rules(),
            email=email,
            address=address,
            user_id=known.id if known else None,
            now=now,
        )
        if refusal is not None:
            record_event(
                db.session,
                "login.throttled",
                ip_address=address,
                now=now,
                email=email,
                reason=refusal.reason,
                wait_seconds=refusal.wait_seconds,
            )
            db.session.commit()
            flash(too_many_attempts_message(refusal.wait_seconds), "error")
            page = render_template("people/login.html", form=form)
            return throttled(page, refusal.wait_seconds)
        user = authenticate(
            db.session, email, form.password.data, current_app.config["PASSWORD_HASH"], now=now
        )
        if user is None:
            record_event(db.session, "login.failed", ip_address=address, now=now, email=email)
            db.session.commit()
            flash(_("The e-mail address or the password is not correct."), "error")
            status = 401
        else:
            note_good_check(db.session, email=email, address=address)
            sign_in(user, method="password", ip=address, now=now)
            return redirect(safe_next_path(form.next.data, url_for("main.home")))
    elif request.method == "POST":
        status = 400
    return render_template("people/login.html", form=form), status


@bp.route("/logout", methods=["POST"])
@signed_in
def logout():
    """Sign out here and end every other browser session of this user on the server."""
    user = db.session.get(User, current_user.id)
    end_browser_sessions(user)
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
    link = public_url("auth.reset_password", token=token)
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
        address = client_address()
        now = clock.now()
        window = timedelta(minutes=current_app.config["RATE_LIMIT_WINDOW_MINUTES"])
        refusal = reset_refusal(
            db.session,
            email=email,
            address=address,
            per_account=Limit(current_app.config["RESET_LIMIT_PER_ACCOUNT"], window),
            per_address=Limit(current_app.config["RESET_LIMIT_PER_ADDRESS"], window),
            now=now,
        )
        if refusal is not None:
            return _reset_throttled(form, email, address, now, refusal)
        note_reset_request(db.session, email=email, address=address, now=now)
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


def _reset_throttled(
    form: ResetRequestForm, email: str, address: str, now: datetime, refusal: Refusal
):
    """Log a throttled reset request and answer 429 with the time to wait."""
    record_event(
        db.session,
        "password.reset_throttled",
        ip_address=address,
        now=now,
        email=email,
        reason=refusal.reason,
        wait_seconds=refusal.wait_seconds,
    )
    db.session.commit()
    flash(
        _(
            "Too many requests for a new password. Please wait %(wait)s and try again.",
            wait=wait_phrase(refusal.wait_seconds),
        ),
        "error",
    )
    page = render_template("people/reset_request.html", form=form)
    return throttled(page, refusal.wait_seconds)


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
@csrf.exempt  # LanguageForm itself requires the CSRF token from signed-in users
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
                check = check_current_password(
                    user, password_form.current.data, now=clock.now(), purpose="password_change"
                )
                if check.refusal is not None:
                    wait = check.refusal.wait_seconds
                    password_form.current.errors = [too_many_attempts_message(wait)]
                    return throttled(_render_profile(user, language_form, password_form), wait)
                if not check.is_good:
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
                        # Other sessions (and API tokens) are dead now; this one continues with
                        # the new version.
                        start_session(user)
                        flash(
                            _(
                                "Your password has been changed. You are signed out on every "
                                "other device, and your API tokens have been revoked."
                            ),
                            "success",
                        )
                        return redirect(url_for("auth.profile"))
                    password_form.password.errors = [_(p) for p in policy.problems]
                    status = 400
            else:
                status = 400
        else:
            abort(400)
    return _render_profile(user, language_form, password_form), status


def _render_profile(
    user: User, language_form: ProfileForm, password_form: ChangePasswordForm
) -> str:
    return render_template(
        "people/profile.html",
        user=user,
        language_form=language_form,
        password_form=password_form,
        everywhere_form=FlaskForm(formdata=None, prefix="everywhere"),
    )


@bp.post("/profile/sign-out-everywhere")
@signed_in
def sign_out_everywhere():
    """End every session of mine on every device and revoke my API tokens."""
    if not FlaskForm(prefix="everywhere").validate_on_submit():
        abort(400)
    user = db.session.get(User, current_user.id)
    now = clock.now()
    revoked = end_sessions(user, now=now, reason="signed_out_everywhere")
    record_event(
        db.session,
        "sessions.ended_everywhere",
        actor_id=user.id,
        object_type="user",
        object_id=user.id,
        ip_address=client_address(),
        now=now,
        tokens_revoked=revoked,
    )
    db.session.commit()
    end_session()
    flash(_("You are signed out on every device, and your API tokens have been revoked."), "info")
    return redirect(url_for("auth.login"), 303)
