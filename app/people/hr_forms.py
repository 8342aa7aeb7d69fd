"""Forms of the HR import, invitation and personal-data pages."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileRequired
from wtforms import BooleanField, StringField
from wtforms.validators import DataRequired, Length


class ImportUploadForm(FlaskForm):
    """Upload an HR file for a dry run."""

    file = FileField(
        _l("HR file (CSV or XLSX)"),
        validators=[
            FileRequired(_l("Choose a file.")),
            FileAllowed(["csv", "txt", "xlsx"], _l("The file must be a CSV or XLSX file.")),
        ],
        description=_l(
            "Columns: HR number, first name, last name, e-mail, unit code, language, role. "
            "CSV in UTF-8, separated by semicolons or commas."
        ),
    )
    is_full_export = BooleanField(
        _l("This file lists everyone (full export): deactivate the people missing from it"),
    )


class ImportApplyForm(FlaskForm):
    """Confirm an import after its dry run."""

    skip_errors = BooleanField(_l("Leave the bad rows out and import the others"))


class EraseForm(FlaskForm):
    """Confirm an erasure by typing the person's e-mail address."""

    confirm_email = StringField(
        _l("Type the person's e-mail address to confirm"),
        validators=[DataRequired(_l("Type the e-mail address.")), Length(max=254)],
        render_kw={"autocomplete": "off", "spellcheck": "false"},
    )
