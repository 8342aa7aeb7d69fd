"""The confirmation form: the version and language read, the page it sits on, the password."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, IntegerField, PasswordField
from wtforms.validators import DataRequired, InputRequired, NumberRange
from wtforms.widgets import HiddenInput


class ConfirmTargetForm(FlaskForm):
    """What is confirmed: the version and language read, and the page the form is on.

    On its own, the button that confirms by signing in again at the identity provider.
    """

    version_id = IntegerField(widget=HiddenInput(), validators=[InputRequired()])
    language = HiddenField(validators=[DataRequired()])
    # The page the form is on (1-based): confirming there counts as having read it.
    page = IntegerField(widget=HiddenInput(), validators=[InputRequired(), NumberRange(min=1)])


class ConfirmForm(ConfirmTargetForm):
    """Confirm a version of an attestation by typing one's password again."""

    password = PasswordField(
        _l("Your password"),
        description=_l("Type the password you sign in with, to confirm that it is you."),
        validators=[DataRequired(message=_l("Type your password to confirm."))],
        render_kw={"autocomplete": "current-password"},
    )
