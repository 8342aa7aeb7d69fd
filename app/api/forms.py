"""The form that makes an API token; limits are enforced on the server."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import IntegerField, StringField
from wtforms.validators import DataRequired, Length, NumberRange, Optional

from app.api.tokens import MAX_DAYS


class NewTokenForm(FlaskForm):
    """A name to recognise the token by and an optional lifetime in days."""

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
        description=_l("Leave empty for a token that does not expire."),
        render_kw={"min": 1, "max": MAX_DAYS, "inputmode": "numeric"},
    )
