"""Forms for sharing modules: the licence of an export, the package upload, the import choices."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import SelectField, StringField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import URL, DataRequired, Length, Optional, Regexp

from app.module_packages.package_format.manifest import (
    COMMON_LICENCES,
    CUSTOM_LICENCE,
    MAX_LICENCE_TEXT,
    MAX_SLUG_LENGTH,
    MAX_URL_LENGTH,
)

LICENCE_CHOICES = [
    SelectChoice("", _l("Choose a licence")),
    *(SelectChoice(spdx, spdx) for spdx in COMMON_LICENCES),
    SelectChoice(CUSTOM_LICENCE, _l("Another licence (give its text or its address)")),
]


class ExportForm(FlaskForm):
    """Share a module: the licence under which other providers may use and adapt it."""

    licence = SelectField(_l("Licence"), choices=LICENCE_CHOICES, validate_choice=True)
    licence_url = StringField(
        _l("Address of the licence (optional)"),
        validators=[
            Optional(),
            Length(max=MAX_URL_LENGTH),
            URL(require_tld=False, message=_l("Enter an address starting with https://.")),
        ],
    )
    licence_text = TextAreaField(
        _l("Text of the licence (optional)"), validators=[Optional(), Length(max=MAX_LICENCE_TEXT)]
    )


class PackageUploadForm(FlaskForm):
    """Upload a module package (.zip) exported by another provider or installation."""

    package = FileField(
        _l("Module package (.zip)"),
        validators=[FileRequired(_l("Choose a package file."))],
        render_kw={"accept": ".zip,application/zip"},
    )


class ImportChoicesForm(FlaskForm):
    """Confirm an import: the copy's id and the provider that will own it."""

    slug = StringField(
        _l("Id of your copy"),
        description=_l("Lowercase letters, digits and hyphens. It cannot be changed later."),
        validators=[
            DataRequired(_l("Enter an id.")),
            Length(max=MAX_SLUG_LENGTH, message=_l("The id is at most 100 characters long.")),
            Regexp(
                r"^[a-z0-9-]+$", message=_l("Use only lowercase letters a-z, digits and hyphens.")
            ),
        ],
    )
    provider = SelectField(_l("Provider that will own the copy"), coerce=int)
