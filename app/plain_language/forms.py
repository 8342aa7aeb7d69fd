"""Forms of the glossary pages: an entry, a CSV import, accepting a term for a module."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import HiddenField, SelectField, StringField
from wtforms.validators import DataRequired, Length

from app.plain_language.glossary_file import MAX_SUGGESTION, MAX_TERM


class EntryForm(FlaskForm):
    """A glossary entry: the administrative word and what to say instead."""

    owner = SelectField(_l("Glossary"), choices=[])
    term = StringField(
        _l("Administrative word"),
        validators=[DataRequired(_l("Enter the word.")), Length(max=MAX_TERM)],
    )
    suggestion = StringField(
        _l("Plain wording"),
        description=_l("Several choices: separate them with a slash (Ferien / Abwesenheit)."),
        validators=[DataRequired(_l("Enter the plain wording.")), Length(max=MAX_SUGGESTION)],
    )


class EditEntryForm(FlaskForm):
    """Change an entry's word or plain wording."""

    term = StringField(
        _l("Administrative word"),
        validators=[DataRequired(_l("Enter the word.")), Length(max=MAX_TERM)],
    )
    suggestion = StringField(
        _l("Plain wording"),
        validators=[DataRequired(_l("Enter the plain wording.")), Length(max=MAX_SUGGESTION)],
    )


class ImportForm(FlaskForm):
    """A CSV file of entries (columns term,suggestion) for one glossary."""

    owner = SelectField(_l("Glossary"), choices=[])
    file = FileField(
        _l("CSV file"),
        description=_l(
            "UTF-8, first row term,suggestion. Terms already in the glossary take the new "
            "plain wording."
        ),
        validators=[FileRequired(_l("Choose a file."))],
        render_kw={"accept": ".csv,text/csv"},
    )


class AcceptForm(FlaskForm):
    """Keep a glossary term in one language of one module."""

    language = HiddenField(validators=[DataRequired()])
    term = HiddenField(validators=[DataRequired(), Length(max=MAX_TERM)])
