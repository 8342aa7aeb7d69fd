"""Trainer forms: the quiz source editor, a new quiz, and the GIFT upload; limits on the server."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileAllowed, FileField, FileSize
from wtforms import BooleanField, HiddenField, SelectField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from app.assessment.draft_forms import LANGUAGE_LABELS
from app.assessment.gift import MAX_GIFT_CHARS as MAX_GIFT_BYTES
from app.assessment.quiz_schema import MAX_QUIZ_CHARS as MAX_SOURCE_CHARS
from app.i18n.languages import LANGUAGES


class QuizSourceForm(FlaskForm):
    """The whole quiz in its file format (YAML), checked on the server."""

    source = TextAreaField(
        _l("Quiz file (YAML)"),
        validators=[
            DataRequired(_l("The quiz file is empty.")),
            Length(max=MAX_SOURCE_CHARS, message=_l("The quiz file is too long.")),
        ],
        description=_l("The format help is linked above. Errors name the line and the question."),
        render_kw={"rows": 30, "spellcheck": "false", "autocapitalize": "off"},
    )
    base_version = HiddenField()


class NewQuizForm(QuizSourceForm):
    """A new quiz: its provider and its file."""

    provider = SelectField(_l("Provider"), coerce=int, validate_choice=True)


class GiftUploadForm(FlaskForm):
    """A Moodle GIFT file to preview, then import into the quiz."""

    gift_file = FileField(
        _l("GIFT file"),
        validators=[
            Optional(),
            FileAllowed(["gift", "txt"], _l("Choose a GIFT file (.gift or .txt).")),
            FileSize(MAX_GIFT_BYTES, message=_l("The GIFT file may be at most 512 KB.")),
        ],
    )
    language = SelectField(
        _l("Language of the texts"),
        choices=[
            SelectChoice("", _l("All languages")),
            *(SelectChoice(lang, LANGUAGE_LABELS[lang]) for lang in LANGUAGES),
        ],
        validate_choice=True,
    )
    skip_invalid = BooleanField(_l("Import the valid questions even if others have errors"))
    gift_text = HiddenField(validators=[Length(max=MAX_GIFT_BYTES)])
