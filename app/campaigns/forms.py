"""Campaign forms; field limits and choices are enforced on the server, messages name the field."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import (
    BooleanField,
    DateField,
    EmailField,
    HiddenField,
    IntegerField,
    RadioField,
    SelectField,
    SelectMultipleField,
    StringField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice
from wtforms.validators import (
    DataRequired,
    Email,
    InputRequired,
    Length,
    NumberRange,
    Optional,
    ValidationError,
)

from app.campaigns.schedule_rules import parse_iso_week, parse_reminder_days
from app.i18n.languages import LANGUAGES
from app.people.forms import LANGUAGE_NAMES
from app.people.models import Role


def _reminder_days(form: FlaskForm, field: StringField) -> None:
    try:
        parse_reminder_days(field.data or "")
    except ValueError as exc:
        raise ValidationError(
            _l("Reminders: write whole numbers of days between 1 and 365, separated by commas.")
        ) from exc


def _iso_week(form: FlaskForm, field: StringField) -> None:
    try:
        parse_iso_week(field.data or "")
    except ValueError as exc:
        raise ValidationError(
            _l("%(label)s: write a year and a week number, like 2027-W46.", label=field.label.text)
        ) from exc


class CampaignForm(FlaskForm):
    """Name and theme per language, description, owner, dates, readiness rule, reminder plan."""

    name_de = StringField(_l("Name in German"), validators=[Length(max=200)])
    name_fr = StringField(_l("Name in French"), validators=[Length(max=200)])
    name_it = StringField(_l("Name in Italian"), validators=[Length(max=200)])
    name_en = StringField(_l("Name in English"), validators=[Length(max=200)])
    theme_de = StringField(_l("Theme in German"), validators=[Length(max=300)])
    theme_fr = StringField(_l("Theme in French"), validators=[Length(max=300)])
    theme_it = StringField(_l("Theme in Italian"), validators=[Length(max=300)])
    theme_en = StringField(_l("Theme in English"), validators=[Length(max=300)])
    description_de = TextAreaField(
        _l("Description in German"),
        validators=[Length(max=20_000, message=_l("Description: at most 20,000 characters."))],
        description=_l("Markdown: what the campaign is about and why it matters."),
    )
    description_fr = TextAreaField(
        _l("Description in French"),
        validators=[Length(max=20_000, message=_l("Description: at most 20,000 characters."))],
    )
    description_it = TextAreaField(
        _l("Description in Italian"),
        validators=[Length(max=20_000, message=_l("Description: at most 20,000 characters."))],
    )
    description_en = TextAreaField(
        _l("Description in English"),
        validators=[Length(max=20_000, message=_l("Description: at most 20,000 characters."))],
    )
    starts_week = StringField(
        _l("First week of the campaign"),
        validators=[Optional(), Length(max=10), _iso_week],
        description=_l("For example 2027-W46. Fills the start date with that Monday."),
        render_kw={"type": "week", "placeholder": "2027-W46"},
    )
    ends_week = StringField(
        _l("Last week of the campaign"),
        validators=[Optional(), Length(max=10), _iso_week],
        description=_l("For example 2027-W47. Fills the end date with that Sunday."),
        render_kw={"type": "week", "placeholder": "2027-W47"},
    )
    owner = SelectField(
        _l("Owner"),
        validators=[DataRequired(_l("Owner: choose who owns the campaign."))],
        description=_l("A unit you manage, or the content provider you work for."),
    )
    assign_on = DateField(
        _l("Assignments go out on"),
        validators=[InputRequired(_l("Assignments go out on: enter a date."))],
    )
    due_on = DateField(
        _l("Due date (staff must be ready by the end of this day)"),
        validators=[InputRequired(_l("Due date: enter a date."))],
    )
    starts_on = DateField(
        _l("The campaign starts on"),
        validators=[InputRequired(_l("The campaign starts on: enter a date."))],
    )
    ends_on = DateField(
        _l("The campaign ends on"),
        validators=[InputRequired(_l("The campaign ends on: enter a date."))],
    )
    readiness_percent = IntegerField(
        _l("Ready share (%)"),
        validators=[
            Optional(),
            NumberRange(0, 100, message=_l("Ready share: a whole number from 0 to 100.")),
        ],
        description=_l("A unit is ready when at least this share of its assigned people is."),
    )
    readiness_min_per_branch = IntegerField(
        _l("Minimum ready people per branch"),
        validators=[
            Optional(),
            NumberRange(0, 1000, message=_l("Minimum per branch: a whole number from 0 to 1000.")),
        ],
        description=_l("For example 2: at least two trained people on every shift."),
    )
    reminder_days = StringField(
        _l("Reminders, in days before the due date"),
        default="21, 7, 2",
        validators=[Length(max=100), _reminder_days],
    )
    remind_weekly_overdue = BooleanField(_l("Remind weekly while overdue"), default=True)
    send_digests = BooleanField(_l("Send a digest of who is behind to unit managers"), default=True)
    late_joiner_days = IntegerField(
        _l("Days given to people who join later"),
        default=14,
        validators=[
            InputRequired(_l("Days given to people who join later: enter a number.")),
            NumberRange(0, 365, message=_l("Days for late joiners: from 0 to 365.")),
        ],
        description=_l(
            "New hires and transfers are due on the later of the due date and the day they"
            " join plus this many days."
        ),
    )
    is_yearly = BooleanField(_l("Yearly campaign (copied to next year when it is over)"))
    confirm_dates = BooleanField(_l("I have checked the due date: save it anyway"))

    def name_fields(self) -> list[StringField]:
        """The name inputs in the order shown."""
        return [getattr(self, f"name_{lang}") for lang in LANGUAGES]

    def theme_fields(self) -> list[StringField]:
        """The theme inputs in the order shown."""
        return [getattr(self, f"theme_{lang}") for lang in LANGUAGES]

    def description_fields(self) -> list[TextAreaField]:
        """The description inputs in the order shown."""
        return [getattr(self, f"description_{lang}") for lang in LANGUAGES]


class AddModuleForm(FlaskForm):
    """Add a module, required or optional, with an optional refresher."""

    module = SelectField(
        _l("Module"), coerce=int, validators=[DataRequired(_l("Module: choose a module."))]
    )
    is_required = BooleanField(_l("Required"), default=True)
    refresher = SelectField(
        _l("Refresher for people who completed it last year"),
        coerce=int,
        default=-1,
        description=_l(
            "People who completed the full module since last year's campaign get this shorter"
            " module instead."
        ),
    )


class AudienceUnitForm(FlaskForm):
    """Add a unit to the audience."""

    unit = SelectField(
        _l("Unit"), coerce=int, validators=[DataRequired(_l("Unit: choose a unit."))]
    )
    include_subunits = BooleanField(_l("Include the units below it"), default=True)


class AudienceRolesForm(FlaskForm):
    """Narrow the unit audience to some roles."""

    roles = SelectMultipleField(
        _l("Only people with one of these roles"),
        choices=[
            SelectChoice(Role.LEARNER.value, _l("Learners")),
            SelectChoice(Role.TRAINER.value, _l("Trainers")),
            SelectChoice(Role.MANAGER.value, _l("Managers")),
            SelectChoice(Role.ADMIN.value, _l("Administrators")),
        ],
        validators=[Optional()],
        description=_l("Choose none to include everyone in the units."),
    )


class AudiencePersonForm(FlaskForm):
    """Add a person by hand, or exclude them."""

    email = EmailField(
        _l("E-mail address of the person"),
        validators=[
            DataRequired(_l("E-mail address: enter the person's e-mail address.")),
            Length(max=254),
            Email(message=_l("E-mail address: enter a valid address."), check_deliverability=False),
        ],
    )
    action = RadioField(
        _l("What to do"),
        choices=[
            SelectChoice("include", _l("Add to the audience")),
            SelectChoice("exclude", _l("Exclude from the audience")),
        ],
        default="include",
        validators=[InputRequired(_l("What to do: choose add or exclude."))],
    )


class ConfirmForm(FlaskForm):
    """A bare confirmation (CSRF only), with a flag that the person saw the consequences."""

    confirmed = HiddenField(default="yes")


class PreferencesForm(FlaskForm):
    """E-mail and in-app notices, or in-app only."""

    channel = RadioField(
        _l("How should we tell you about assignments and reminders?"),
        choices=[
            SelectChoice("email", _l("By e-mail and in the app")),
            SelectChoice("in_app", _l("Only in the app (no e-mail)")),
        ],
        validators=[InputRequired(_l("Choose how we should tell you."))],
    )


LANGUAGE_LABELS = LANGUAGE_NAMES
