"""Forms of requests: a question, a new module, a follow-up, a trainer's answer.

Lengths are checked here for the message at the field and again in the operations (the one
rule that also holds for anything that skips the form).
"""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import HiddenField, SelectField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, Optional

from app.learner_requests.operations import MAX_ANSWER, MAX_AUDIENCE, MAX_SUBJECT, MAX_TEXT


def _at_most(limit: int) -> Length:
    # WTForms fills in %(max)d.
    return Length(max=limit, message=_l("Use at most %(max)d characters."))


class QuestionForm(FlaskForm):
    """A question to the trainers, about one module or in general."""

    module = SelectField(
        _l("About which module?"),
        description=_l("Your question goes to the trainers who look after this module."),
        validators=[Optional()],
        validate_choice=False,  # checked by the view: the module must exist and be readable
    )
    subject = StringField(
        _l("Subject"),
        description=_l("A few words, such as “Where do I find the proxy form?”."),
        validators=[DataRequired(_l("Give your question a short subject.")), _at_most(MAX_SUBJECT)],
    )
    text = TextAreaField(
        _l("Your question"),
        description=_l("At most %(max)d characters.", max=MAX_TEXT),
        validators=[DataRequired(_l("Write your question.")), _at_most(MAX_TEXT)],
    )


class NewModuleForm(FlaskForm):
    """A request for a module that does not exist yet."""

    topic = StringField(
        _l("Topic"),
        description=_l("What the module should teach, such as “Proxy access for relatives”."),
        validators=[DataRequired(_l("Name the topic of the module.")), _at_most(MAX_SUBJECT)],
    )
    why = TextAreaField(
        _l("Why is it needed?"),
        description=_l(
            "What happens at the counter today; what citizens ask. At most %(max)d characters.",
            max=MAX_TEXT,
        ),
        validators=[DataRequired(_l("Say why the module is needed.")), _at_most(MAX_TEXT)],
    )
    audience = StringField(
        _l("For whom?"),
        description=_l("Such as “all counter staff of the region” or “new colleagues”."),
        validators=[DataRequired(_l("Say who the module is for.")), _at_most(MAX_AUDIENCE)],
    )
    provider = SelectField(
        _l("Who should make it?"),
        description=_l("If you do not know, every trainer sees your request."),
        validators=[Optional()],
        validate_choice=False,  # checked by the view against the providers that exist
    )


class FollowUpForm(FlaskForm):
    """The person who asked adds something to their request."""

    text = TextAreaField(
        _l("Add to your request"),
        description=_l(
            "The trainers see it with your request. At most %(max)d characters.", max=MAX_TEXT
        ),
        validators=[DataRequired(_l("Write what you want to add.")), _at_most(MAX_TEXT)],
    )
    # The last event the person saw: a second click (or a change meanwhile) is noticed.
    seen = HiddenField()


class RespondForm(FlaskForm):
    """A trainer's answer and/or new status, saved together."""

    answer = TextAreaField(
        _l("Answer"),
        description=_l(
            "The person who asked sees it in their request and gets it by e-mail."
            " At most %(max)d characters.",
            max=MAX_ANSWER,
        ),
        validators=[Optional(), _at_most(MAX_ANSWER)],
    )
    status = SelectField(_l("Status"), validators=[Optional()], validate_choice=False)
    # The last event the trainer saw: a double click, or a colleague's answer meanwhile, is
    # noticed instead of sending the person a second answer.
    seen = HiddenField()
