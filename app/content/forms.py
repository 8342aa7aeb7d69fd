"""Authoring forms: new module, the editor of one language, publishing, media upload."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from flask_wtf.file import FileField, FileRequired
from wtforms import (
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    Regexp,
    ValidationError,
)

from app.content.module_format import (
    MAX_FILE_BYTES,
    MAX_MINUTES,
    MAX_SUMMARY_LENGTH,
    MAX_TITLE_LENGTH,
    MAX_VALID_DAYS,
    MIN_MINUTES,
)
from app.i18n.languages import LANGUAGES
from app.people.forms import LANGUAGE_NAMES

LANGUAGE_CHOICES = [SelectChoice(code, LANGUAGE_NAMES[code]) for code in LANGUAGES]
MAX_TAGS = 20


class NewModuleForm(FlaskForm):
    """Start a module: its stable id, provider, source language and working title."""

    slug = StringField(
        _l("Id"),
        description=_l(
            "Lowercase letters, digits and hyphens, e.g. 'tax-declaration-2027'. "
            "It cannot be changed later."
        ),
        validators=[
            DataRequired(_l("Enter an id.")),
            Length(max=100, message=_l("The id is at most 100 characters long.")),
            Regexp(
                r"^[a-z0-9-]+$",
                message=_l("Use only lowercase letters a-z, digits and hyphens."),
            ),
        ],
    )
    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("Enter a title.")),
            Length(max=MAX_TITLE_LENGTH, message=_l("The title is too long.")),
        ],
    )
    provider = SelectField(_l("Content provider"), coerce=int, validate_choice=True)
    source_language = SelectField(
        _l("Written first in"), choices=LANGUAGE_CHOICES, validate_choice=True
    )


def _tags(form: FlaskForm, field: StringField) -> None:
    tags = parse_tags(field.data or "")
    if len(tags) > MAX_TAGS:
        raise ValidationError(_l("At most 20 tags."))
    if any(len(tag) > 50 for tag in tags):
        raise ValidationError(_l("Each tag is at most 50 characters long."))


def _no_nul(form: FlaskForm, field: StringField) -> None:
    if "\x00" in (field.data or ""):
        raise ValidationError(_l("The text contains an invalid character (NUL): remove it."))


def parse_tags(text: str) -> list[str]:
    """Split the comma-separated tags field into tags (empty ones dropped)."""
    return [tag.strip() for tag in text.split(",") if tag.strip()]


class DraftForm(FlaskForm):
    """The editor of one language: front-matter fields and the Markdown text."""

    title = StringField(
        _l("Title"),
        validators=[
            DataRequired(_l("Enter a title.")),
            Length(max=MAX_TITLE_LENGTH, message=_l("The title is too long.")),
            _no_nul,
        ],
    )
    summary = TextAreaField(
        _l("Summary"),
        description=_l("One or two sentences: what the learner will be able to do."),
        validators=[
            Length(max=MAX_SUMMARY_LENGTH, message=_l("The summary is too long.")),
            _no_nul,
        ],
        render_kw={"rows": 3},
    )
    tags = StringField(
        _l("Tags"),
        description=_l("Separated by commas, e.g. eid, login"),
        validators=[Length(max=1000), _tags, _no_nul],
    )
    minutes = IntegerField(
        _l("Estimated minutes"),
        validators=[
            InputRequired(_l("Enter the number of minutes.")),
            NumberRange(MIN_MINUTES, MAX_MINUTES, message=_l("Enter a number between 1 and 120.")),
        ],
    )
    valid_days = IntegerField(
        _l("Completion valid for (days)"),
        description=_l("Leave empty when a completion never expires."),
        validators=[
            Optional(),
            NumberRange(1, MAX_VALID_DAYS, message=_l("Enter a number between 1 and 3660.")),
        ],
    )
    revision = IntegerField(
        _l("Revision"),
        description=_l(
            "Raise it when the meaning of the text changes: translations are then marked "
            "out of date."
        ),
        validators=[Optional(), NumberRange(1, 100000, message=_l("Enter a whole number."))],
    )
    translates = IntegerField(
        _l("Translates revision"),
        description=_l("The revision of the source text this translation follows."),
        validators=[Optional(), NumberRange(1, 100000, message=_l("Enter a whole number."))],
    )
    markdown = TextAreaField(
        _l("Text (Markdown)"),
        description=_l(
            "Each line starting with '## ' begins a new page and is its title. "
            "Call-outs: '> [!TIP]', '> [!WARNING]', '> [!SAY]'."
        ),
        validators=[Length(max=MAX_FILE_BYTES, message=_l("The text is too long.")), _no_nul],
        render_kw={"rows": 24, "spellcheck": "true"},
    )
    draft_id = HiddenField(default="0")
    lock_version = HiddenField(default="0")

    def lock(self) -> tuple[int, int]:
        """The draft id and lock version the editor was loaded with (0, 0: no draft then)."""
        try:
            draft_id, lock_version = int(self.draft_id.data or 0), int(self.lock_version.data or 0)
        except ValueError:
            return -1, -1
        # A forged number beyond the integer column would make the database refuse the query.
        if not (0 <= draft_id < 2**31 and 0 <= lock_version < 2**31):
            return -1, -1
        return draft_id, lock_version


class PublishForm(FlaskForm):
    """Publish the drafts as a new version."""

    change_note = TextAreaField(
        _l("What changed"),
        description=_l("Learners and managers see this note in the version history."),
        validators=[
            DataRequired(_l("Describe what changed.")),
            Length(max=2000, message=_l("The note is too long.")),
        ],
        render_kw={"rows": 3},
    )
    change_kind = RadioField(
        _l("Kind of change"),
        choices=[
            SelectChoice("minor", _l("Minor: corrections; completions stay valid")),
            SelectChoice("major", _l("Major: the content changed; learners must redo the module")),
        ],
        # No default: a trainer who does not choose must not silently publish a minor change.
        invalid_choice_message=_l("Kind of change: choose minor or major."),
    )


class UploadForm(FlaskForm):
    """Upload an image, a video or a PDF for the module."""

    file = FileField(
        _l("Image, video or PDF"),
        description=_l("png, jpg, gif, webp, mp4, webm or pdf."),
        validators=[FileRequired(_l("Choose a file."))],
        render_kw={
            "accept": "image/png,image/jpeg,image/gif,image/webp,video/mp4,video/webm,"
            "application/pdf"
        },
    )
    language = HiddenField()


class PreviewForm(FlaskForm):
    """The live preview request (the CSRF token travels in a header)."""

    markdown = TextAreaField(validators=[Length(max=MAX_FILE_BYTES)])
