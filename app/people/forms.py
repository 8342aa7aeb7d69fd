"""Sign-in, reset and profile forms; field limits are enforced on the server."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms import EmailField, HiddenField, IntegerField, PasswordField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Email, EqualTo, InputRequired, Length, NumberRange

from app.i18n.languages import LANGUAGES

LANGUAGE_NAMES = {"de": "Deutsch", "fr": "Français", "it": "Italiano", "en": "English"}


class LoginForm(FlaskForm):
    """E-mail and password."""

    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Length(max=254, message=_l("The e-mail address is too long.")),
        ],
        render_kw={"autocomplete": "username"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[
            DataRequired(_l("Enter your password.")),
            Length(max=1024, message=_l("The password is too long.")),
        ],
        render_kw={"autocomplete": "current-password"},
    )
    next = HiddenField()


class ResetRequestForm(FlaskForm):
    """Ask for a reset link by e-mail."""

    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter your e-mail address.")),
            Length(max=254, message=_l("The e-mail address is too long.")),
            Email(message=_l("Enter a valid e-mail address."), check_deliverability=False),
        ],
        render_kw={"autocomplete": "email"},
    )


class NewPasswordForm(FlaskForm):
    """Choose a new password (twice, to catch typing errors)."""

    password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Enter a new password."))],
        render_kw={"autocomplete": "new-password"},
        description=_l("At least 12 characters. A few unrelated words make a good password."),
    )
    confirm = PasswordField(
        _l("Repeat the new password"),
        validators=[
            DataRequired(_l("Repeat the new password.")),
            EqualTo("password", message=_l("The two passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class ChangePasswordForm(NewPasswordForm):
    """Change the password while signed in: the current one is asked first."""

    current = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )


class LanguageForm(FlaskForm):
    """Choose the language of the interface.

    Signed out, the switcher carries no CSRF token: switching the language of a signed-out
    browser changes nothing on the server, and a token would need a session cookie on every
    public page (certificate checks included), which no shared cache may then keep.
    Signed in, the choice is saved to the account, so the token is required.
    """

    language = SelectField(
        _l("Language"),
        choices=[SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
        validate_choice=True,
    )
    next = HiddenField()

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("meta", {"csrf": bool(getattr(current_user, "is_authenticated", False))})
        super().__init__(*args, **kwargs)


class ProfileForm(FlaskForm):
    """What a person may change about themselves: only their language (no role, no unit)."""

    preferred_language = SelectField(
        _l("Preferred language"),
        choices=[SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
    )


class ExtraTimeForm(FlaskForm):
    """Extra time on timed quizzes for one person, set by a manager or an admin."""

    extra_time_percent = IntegerField(
        _l("Extra time for timed quizzes (%)"),
        validators=[
            InputRequired(_l("Enter a whole number from 0 to 300.")),
            NumberRange(min=0, max=300, message=_l("Enter a whole number from 0 to 300.")),
        ],
        render_kw={"min": 0, "max": 300, "step": 1, "inputmode": "numeric"},
        description=_l("0 means no extra time; 50 gives 15 minutes instead of 10."),
    )
