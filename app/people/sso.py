"""Single sign-on with OpenID Connect: start, callback, provider log-out, passwords switch.

Authlib is the client: it keeps state, nonce and the PKCE verifier in the session, checks
the state on return, and verifies the ID token (signature from the provider's JWKS, issuer,
audience = our client id, nonce, expiry). The matching rules live in `sso_operations`.
"""

from __future__ import annotations

import logging
from typing import Any
from urllib.parse import urlsplit

import click
import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.base_client import MismatchingStateError, OAuthError
from authlib.integrations.flask_client import OAuth
from authlib.integrations.flask_client.apps import FlaskOAuth2App
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from joserfc.errors import JoseError
from werkzeug.wrappers import Response
from wtforms import HiddenField

from app.db import write_lock_up_front
from app.extensions import db
from app.people.models import User
from app.people.operations import find_user_by_email
from app.people.safe_redirect import safe_next_path
from app.people.sessions import sign_in
from app.people.sso_operations import (
    MatchRules,
    SsoRefusal,
    claims_from,
    identities_of,
    match_identity,
    unlink_identities,
)
from app.permissions import public
from app.platform.audit import record_event_on_its_own

log = logging.getLogger(__name__)

bp = Blueprint("sso", __name__, url_prefix="/sso")

CLIENT = "oidc"
# Kept in the session after an SSO sign-in: the ID token is the hint the provider's
# end-session endpoint needs to know which session to end (RP-Initiated Logout 1.0 §2).
ID_TOKEN_KEY = "sso_id_token"
NEXT_KEY = "sso_next"
PASSWORD_ENDPOINTS = {"auth.request_reset", "auth.reset_password"}


class SsoStartForm(FlaskForm):
    """The "Sign in with ..." button: a POST, so no other site can start a sign-in."""

    next = HiddenField()


def is_enabled(app: Flask | None = None) -> bool:
    """Tell whether single sign-on is configured."""
    config = (app or current_app).config
    return bool(config.get("OIDC_ISSUER"))


def _client() -> FlaskOAuth2App:
    if not is_enabled():
        abort(404)
    return current_app.extensions["authlib.integrations.flask_client"].create_client(CLIENT)


def _protocol_message(reason: str, error: str) -> str:
    """Say what went wrong with the provider's answer (a forged or replayed callback, say)."""
    messages = {
        "state": _(
            "This sign-in link is not valid: it was forged, used twice or has expired. "
            "Please start the sign-in again."
        ),
        "missing_code": _(
            "The provider's answer carried no authorisation code. Please start the sign-in again."
        ),
        "provider_error": _("The provider did not sign you in (%(error)s).", error=error),
        "token": _("The provider refused to confirm this sign-in. Please start the sign-in again."),
        "id_token": _(
            "The provider's identity token is not valid for this site. Please start the "
            "sign-in again."
        ),
        "unreachable": _("The sign-in provider cannot be reached. Please try again later."),
    }
    return messages[reason]


def _refuse(reason: str, status: int, *, message: str, **details: Any) -> tuple[str, int]:
    """Log the refused sign-in on its own and show why (no session is started)."""
    record_event_on_its_own(
        db.session, "sso.refused", ip_address=request.remote_addr, reason=reason, **details
    )
    return render_template("people/sso_refused.html", message=message), status


def _protocol_refusal(reason: str, status: int = 400, **details: Any) -> tuple[str, int]:
    message = _protocol_message(reason, details.get("error", ""))
    log.warning("single sign-on refused: %s %s", reason, details)
    return _refuse(reason, status, message=message, **details)


@bp.route("/login", methods=["POST"])
@public
def start():
    """Send the browser to the provider with a fresh state, nonce and PKCE challenge."""
    client = _client()
    form = SsoStartForm()
    if not form.validate_on_submit():
        abort(400)
    target = safe_next_path(form.next.data, url_for("main.home"))
    if current_user.is_authenticated:
        return redirect(target)
    session[NEXT_KEY] = target
    try:
        return client.authorize_redirect(url_for("sso.callback", _external=True))
    except requests.RequestException as exc:
        return _protocol_refusal("unreachable", 503, error=type(exc).__name__)


@bp.route("/callback")
@public
def callback():
    """Check the provider's answer, find the person and start their session."""
    client = _client()
    if request.args.get("error"):
        return _protocol_refusal("provider_error", 400, error=request.args["error"][:100])
    if not request.args.get("code"):
        return _protocol_refusal("missing_code")
    try:
        token = client.authorize_access_token()
        if not token.get("userinfo"):
            # Without a verified ID token nothing says who this is, or for whom it was made.
            return _protocol_refusal("id_token", error="no id_token")
        metadata = client.load_server_metadata()
        userinfo = client.userinfo(token=token) if metadata.get("userinfo_endpoint") else None
    except MismatchingStateError:
        return _protocol_refusal("state")
    except OAuthError as exc:
        return _protocol_refusal("token", error=str(exc.error or exc.description)[:100])
    except (JoseError, AuthlibBaseError, ValueError) as exc:
        return _protocol_refusal("id_token", error=f"{type(exc).__name__}: {exc}"[:200])
    except requests.RequestException as exc:
        return _protocol_refusal("unreachable", 503, error=type(exc).__name__)

    config = current_app.config
    rules = MatchRules(match_by=config["OIDC_MATCH_BY"], jit_unit_code=config["OIDC_JIT_UNIT"])
    # A GET that writes: end any read transaction, then take the write lock up front.
    db.session.rollback()
    with write_lock_up_front():
        try:
            claims = claims_from(
                token["userinfo"], userinfo, hr_claim=config["OIDC_HR_NUMBER_CLAIM"]
            )
            match = match_identity(db.session, claims, rules, ip=request.remote_addr)
        except SsoRefusal as refusal:
            db.session.rollback()
            return _refuse(
                refusal.reason,
                403,
                message=_(refusal.message),
                user_id=refusal.user_id,
                issuer=token["userinfo"].get("iss"),
                subject=token["userinfo"].get("sub"),
                detail=refusal.detail,
            )
        target = session.get(NEXT_KEY) or url_for("main.home")
        sign_in(match.user, method="oidc", ip=request.remote_addr)
    session[ID_TOKEN_KEY] = token["id_token"]
    return redirect(safe_next_path(target, url_for("main.home")))


def provider_logout(id_token: str | None) -> Response | None:
    """Redirect to the provider's end-session endpoint, if it has one (after local log-out)."""
    if not id_token or not is_enabled():
        return None
    client = _client()
    try:
        if not client.load_server_metadata().get("end_session_endpoint"):
            return None
        return client.logout_redirect(
            post_logout_redirect_uri=url_for("sso.logged_out", _external=True),
            id_token_hint=id_token,
        )
    except requests.RequestException:
        log.warning("single sign-on: provider unreachable for log-out")
        return None


@bp.route("/logged-out")
@public
def logged_out():
    """Where the provider sends the browser back after ending its session too."""
    client = _client()
    try:
        client.validate_logout_response()
    except OAuthError:
        # Nothing to protect here (the local session is already gone); just do not pretend.
        return redirect(url_for("auth.login"))
    return redirect(url_for("auth.login"))


def _refuse_local_passwords() -> Any:
    """With LOCAL_PASSWORDS off, password sign-in, reset and change are closed."""
    if current_app.config.get("LOCAL_PASSWORDS", True):
        return None
    endpoint = request.endpoint or ""
    closing = (
        endpoint in PASSWORD_ENDPOINTS
        or (endpoint == "auth.login" and request.method == "POST")
        or (endpoint == "auth.profile" and "pw-submit" in request.form)
    )
    if not closing:
        return None
    flash(_("Passwords are turned off here: please sign in through your organisation."), "error")
    return redirect(url_for("auth.login")), 303


def _provider_origins() -> list[str]:
    """Return the origins the browser is sent to: the issuer's and the endpoints' (if known)."""
    origins = [_origin(current_app.config["OIDC_ISSUER"])]
    client = current_app.extensions["authlib.integrations.flask_client"].create_client(CLIENT)
    for key in ("authorization_endpoint", "end_session_endpoint"):
        url = client.server_metadata.get(key)
        if url and _origin(url) not in origins:
            origins.append(_origin(url))
    return origins


def _origin(url: str) -> str:
    parts = urlsplit(url)
    return f"{parts.scheme}://{parts.netloc}"


def _let_forms_reach_provider(response: Response) -> Response:
    """Allow the sign-in and sign-out forms to redirect to the provider.

    Chromium applies CSP form-action to the redirects that follow a form submission, so
    `form-action 'self'` would stop the "Sign in with ..." button and the sign-out button
    of an SSO session at our own redirect to the provider. Registered before the security
    headers hook, this runs after it (Flask runs after_request functions in reverse).
    """
    policy = response.headers.get("Content-Security-Policy")
    if policy and is_enabled() and "form-action 'self'" in policy:
        allowed = " ".join(["'self'", *_provider_origins()])
        response.headers["Content-Security-Policy"] = policy.replace(
            "form-action 'self'", f"form-action {allowed}", 1
        )
    return response


def _template_context() -> dict[str, Any]:
    enabled = is_enabled()
    return {
        "sso_enabled": enabled,
        "sso_provider_name": current_app.config.get("OIDC_PROVIDER_NAME") or "",
        "sso_form": SsoStartForm(formdata=None) if enabled else None,
        "local_passwords": current_app.config.get("LOCAL_PASSWORDS", True),
    }


@click.group("sso")
def sso_cli() -> None:
    """Single sign-on: the links between people and their provider identities."""


@sso_cli.command("links")
@click.argument("email")
@with_appcontext
def list_links(email: str) -> None:
    """List the provider identities linked to the person with EMAIL."""
    person = _person(email)
    links = identities_of(db.session, person)
    if not links:
        click.echo(f"{person.email}: no linked identity")
    for link in links:
        used = link.last_used_at.isoformat() if link.last_used_at else "never"
        click.echo(f"{link.issuer}\t{link.subject}\t{link.matched_by}\tlast used {used}")


@sso_cli.command("unlink")
@click.argument("email")
@click.option("--issuer", default=None, help="Only the identity at this issuer.")
@with_appcontext
def unlink(email: str, issuer: str | None) -> None:
    """Remove the links of the person with EMAIL, so the next sign-in matches afresh."""
    person = _person(email)
    removed = unlink_identities(db.session, person, issuer=issuer, actor=None, ip=None)
    db.session.commit()
    click.echo(f"{person.email}: {removed} linked identity(ies) removed")


def _person(email: str) -> User:
    person = find_user_by_email(db.session, email)
    if person is None:
        raise click.ClickException(f"email: no person has the address {email!r}")
    return person


def register(app: Flask) -> None:
    """Plug single sign-on into the app: the OpenID client, routes, the passwords switch."""
    oauth = OAuth(app)
    if is_enabled(app):
        oauth.register(
            CLIENT,
            client_id=app.config["OIDC_CLIENT_ID"],
            client_secret=app.config["OIDC_CLIENT_SECRET"],
            server_metadata_url=app.config["OIDC_DISCOVERY_URL"],
            client_kwargs={
                "scope": app.config["OIDC_SCOPES"],
                "code_challenge_method": "S256",
                "default_timeout": 10,
            },
        )
    app.before_request(_refuse_local_passwords)
    app.after_request(_let_forms_reach_provider)
    app.context_processor(_template_context)
    app.register_blueprint(bp)
    app.cli.add_command(sso_cli)
