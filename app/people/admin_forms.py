"""Forms of the administration pages; choices are filled by the view from scoped queries."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, IntegerField, SelectField, StringField
from wtforms.validators import DataRequired, Email, Length, Optional, Regexp

from app.i18n.languages import LANGUAGES
from app.people.forms import LANGUAGE_NAMES
from app.people.models import Role, UnitKind


def kind_choices() -> list[tuple[str, str]]:
    """Return the unit levels with their translated names."""
    return [
        (UnitKind.NETWORK.value, _l("Network")),
        (UnitKind.REGION.value, _l("Region")),
        (UnitKind.BRANCH.value, _l("Branch")),
    ]


def role_choices() -> list[tuple[str, str]]:
    """Return the roles with their translated names."""
    return [
        (Role.LEARNER.value, _l("Learner")),
        (Role.TRAINER.value, _l("Trainer (of a content provider)")),
        (Role.MANAGER.value, _l("Manager (of a unit and the units below it)")),
        (Role.ADMIN.value, _l("Administrator")),
    ]


class UnitAddForm(FlaskForm):
    """Add a unit to the tree."""

    code = StringField(
        _l("Code"),
        validators=[
            DataRequired(_l("Enter a code.")),
            Regexp(
                r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$",
                message=_l("Use up to 64 letters, digits, dots, dashes or underscores."),
            ),
        ],
        description=_l("A short, stable identifier used by HR files, for example ju-delemont."),
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter a name.")), Length(max=200)],
    )
    kind = SelectField(_l("Level"), choices=[])
    parent = SelectField(_l("Parent unit"), coerce=int, choices=[])

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.kind.choices = kind_choices()


class UnitRenameForm(FlaskForm):
    """Give a unit a new name."""

    name = StringField(
        _l("New name"),
        validators=[DataRequired(_l("Enter a name.")), Length(max=200)],
    )


class UnitMoveForm(FlaskForm):
    """Move a unit (and everything below it) under another parent."""

    parent = SelectField(_l("New parent unit"), coerce=int, choices=[])


class ConfirmForm(FlaskForm):
    """A confirmation step: the button is the whole form (CSRF protected)."""


class ProviderAddForm(FlaskForm):
    """Add a content provider."""

    slug = StringField(
        _l("Short name"),
        validators=[
            DataRequired(_l("Enter a short name.")),
            Regexp(
                r"^[a-z0-9][a-z0-9-]{0,63}$",
                message=_l("Use up to 64 lower-case letters, digits or dashes."),
            ),
        ],
        description=_l("Lower-case letters, digits and dashes, for example ju-it."),
    )
    name = StringField(
        _l("Name"),
        validators=[DataRequired(_l("Enter a name.")), Length(max=200)],
    )


class ProviderRenameForm(FlaskForm):
    """Give a provider a new name."""

    name = StringField(
        _l("New name"),
        validators=[DataRequired(_l("Enter a name.")), Length(max=200)],
    )


class PersonForm(FlaskForm):
    """A person's details; the unit picker holds only open units in the editor's scope."""

    first_name = StringField(
        _l("First name"),
        validators=[DataRequired(_l("Enter a first name.")), Length(max=100)],
        render_kw={"autocomplete": "off"},
    )
    last_name = StringField(
        _l("Last name"),
        validators=[DataRequired(_l("Enter a last name.")), Length(max=100)],
        render_kw={"autocomplete": "off"},
    )
    email = EmailField(
        _l("E-mail address"),
        validators=[
            DataRequired(_l("Enter an e-mail address.")),
            Length(max=254, message=_l("The e-mail address is too long.")),
            Email(message=_l("Enter a valid e-mail address."), check_deliverability=False),
        ],
        render_kw={"autocomplete": "off"},
    )
    preferred_language = SelectField(_l("Language"), choices=[], default="")
    hr_number = StringField(
        _l("HR number"),
        validators=[Optional(), Length(max=64)],
        description=_l("The number in the HR system; HR files match people by it."),
    )
    # The picker offers the editor's open units; a unit sent from elsewhere is refused (and
    # logged) by the permission check rather than silently by the form.
    unit = SelectField(_l("Unit"), coerce=int, choices=[], validate_choice=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.preferred_language.choices = [("", _l("Not set"))] + [
            (code, LANGUAGE_NAMES[code]) for code in LANGUAGES
        ]


class RoleGrantForm(FlaskForm):
    """Give a role with its scope: a provider for trainers, a unit for managers."""

    # Choices show what the granter may give; the permission rule decides what is sent.
    role = SelectField(_l("Role"), choices=[], validate_choice=False)
    unit = SelectField(
        _l("Unit (for a manager)"),
        coerce=int,
        choices=[],
        validate_choice=False,
        description=_l("A manager sees and manages this unit and every unit below it."),
    )
    provider = SelectField(
        _l("Content provider (for a trainer)"), coerce=int, choices=[], validate_choice=False
    )


class AuditFilterForm(FlaskForm):
    """Narrow the audit log (sent with GET, so it carries no CSRF token)."""

    class Meta:
        csrf = False

    action = SelectField(_l("Action"), choices=[], validate_choice=False)
    actor = StringField(_l("Done by (e-mail or number)"), validators=[Optional(), Length(max=254)])
    object_type = SelectField(
        _l("Object type"),
        choices=[],
        validate_choice=False,
    )
    object_id = IntegerField(_l("Object number"), validators=[Optional()])
    since = DateField(
        _l("From (date)"),
        validators=[Optional()],
        render_kw={"autocomplete": "off"},
    )
    until = DateField(
        _l("Until (date, included)"),
        validators=[Optional()],
        render_kw={"autocomplete": "off"},
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.object_type.choices = [
            ("", _l("Any")),
            ("user", _l("Person")),
            ("unit", _l("Unit")),
            ("provider", _l("Content provider")),
            ("module", _l("Module")),
            ("campaign", _l("Campaign")),
        ]
