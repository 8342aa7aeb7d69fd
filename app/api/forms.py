"""The form that makes an API token; limits are enforced on the server."""

from __future__ import annotations

from typing import Any

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, PasswordField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.api.tokens import MAX_DAYS


class NewTokenForm(FlaskForm):
    """A name to recognise the token by, an optional lifetime in days, and the password again."""

    name = StringField(
        _l("Name"),
        validators=[
            DataRequired(_l("Give the token a name.")),
            Length(max=100, message=_l("The name can have at most 100 characters.")),
        ],
        description=_l("What the token is for, for example “Power BI readiness report”."),
        render_kw={"maxlength": 100, "autocomplete": "off"},
    )
    days = IntegerField(
        _l("Valid for (days)"),
        validators=[
            Optional(),
            NumberRange(min=1, max=MAX_DAYS, message=_l("Enter a number of days from 1 to 3650.")),
        ],
        render_kw={"min": 1, "max": MAX_DAYS, "inputmode": "numeric"},
    )
    password = PasswordField(
        _l("Your password"),
        validators=[
            DataRequired(_l("Enter your password to make a token.")),
            Length(max=1024, message=_l("The password is too long.")),
        ],
        description=_l("A token acts in your name, so your password is asked for again."),
        render_kw={"autocomplete": "current-password"},
    )

    def __init__(self, *args: Any, default_days: int, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.days.description = _(
            "Leave empty for %(days)s days, the default lifetime.", days=default_days
        )
