"""Quizzes for learners: the blueprint, its permission rules, the start page and the home panel.

The attempt pages (`app.assessment.attempt_views`) and the trainers' pages add their routes to
this blueprint; `register(app)` plugs them all in. Every view loads the objects, checks access
(404 for anything not the learner's own), calls one operation and commits once.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Flask, current_app, redirect, render_template, url_for
from flask_babel import get_locale, ngettext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from app.assessment import presenters
from app.assessment.announcements import module_quizzes
from app.assessment.attempts import (
    AttemptError,
    AttemptRefused,
    start_attempt,
    time_allowed,
)
from app.assessment.models import Attempt, Quiz
from app.assessment.operations import definition_of
from app.assessment.queries import (
    attempt_policy,
    is_quiz_open_to_learners,
    learner_quizzes,
    learner_standing,
    quiz_by_slug,
)
from app.extensions import db
from app.i18n.formatting import format_datetime
from app.people.models import Role
from app.permissions import Action, ensure, may, register_rule, signed_in
from app.platform.hooks import HOME_PANELS, MODULE_QUIZZES, NAV_ENTRIES, QUIZ_GRADED
from app.platform.reads import Deferred
from app.timekeeping import clock

bp = Blueprint("assessment", __name__)

TAKE_QUIZ = "take_quiz"
VIEW_ATTEMPT = "view_attempt"
EDIT_QUIZ = "edit_quiz"
MAX_JSON_BYTES = 64 * 1024


# -- permission rules ---------------------------------------------------------------------


def _edit_quiz(user: Any, quiz: Quiz) -> bool:
    return may(user, Action.EDIT_CONTENT, quiz.provider_id)


def _take_quiz(user: Any, quiz: Quiz) -> bool:
    if quiz.current_version_id is None:
        return False
    return _edit_quiz(user, quiz) or is_quiz_open_to_learners(db.session, quiz)


def _own_attempt(user: Any, attempt: Attempt) -> bool:
    return attempt.user_id == user.id


# -- helpers ---------------------------------------------------------------------------------


def language() -> str:
    """The learner's language for quiz texts."""
    locale = get_locale()
    return locale.language if locale else current_app.config["BABEL_DEFAULT_LOCALE"]


def error_message(error: AttemptError) -> str:
    """The refusal's message in the learner's language."""
    params = dict(error.params)
    if "until" in params:
        params["until"] = format_datetime(params["until"], "short")
    return _(error.template, **params)


def _load_quiz(quiz_slug: str) -> Quiz:
    quiz = quiz_by_slug(db.session, quiz_slug)
    ensure(TAKE_QUIZ, quiz)
    return quiz


def _quiz_rules(quiz: Quiz) -> dict[str, Any]:
    definition = definition_of(quiz.current_version)
    return {
        "title": presenters.title_in(definition.title, language()),
        "pass_mark": definition.pass_mark,
        "attempts": definition.attempts,
        "cooldown_minutes": definition.cooldown_minutes,
        "time_limit_minutes": definition.time_limit_minutes,
        "score_policy": definition.score_policy,
        "questions": len(definition.questions) + sum(pool.draw for pool in definition.pools),
        "layout": definition.layout,
        "review": definition.review,
    }


def _duration_text(duration: timedelta) -> str:
    minutes, seconds = divmod(round(duration.total_seconds()), 60)
    text = ngettext("%(num)s minute", "%(num)s minutes", minutes)
    if seconds:
        text += " " + ngettext("%(num)s second", "%(num)s seconds", seconds)
    return text


def _extra_time_text(rules: dict[str, Any]) -> str | None:
    """The learner's own extra time on this quiz, e.g. "+50 % extra time: 15 minutes"."""
    percent = current_user.extra_time_percent
    if not rules["time_limit_minutes"] or not percent:
        return None
    return _(
        "+%(percent)s %% extra time: %(time)s",
        percent=percent,
        time=_duration_text(time_allowed(rules["time_limit_minutes"], percent)),
    )


def _render_start(quiz: Quiz, *, error: str | None = None, status: int = 200):
    now = clock.now()
    standing = learner_standing(db.session, current_user, quiz, now=now)
    rules = _quiz_rules(quiz)
    return (
        render_template(
            "assessment/start.html",
            quiz=quiz,
            rules=rules,
            extra_time=_extra_time_text(rules),
            policy=standing.policy,
            attempts=standing.attempts,
            best=standing.best,
            error=error,
        ),
        status,
    )


# -- learner views ---------------------------------------------------------------------------


@bp.get("/quizzes/<quiz_slug>")
@signed_in
def quiz_start(quiz_slug: str):
    """Show a quiz's rules, the learner's attempts and the button to start or resume."""
    return _render_start(_load_quiz(quiz_slug))


@bp.post("/quizzes/<quiz_slug>/attempts")
@signed_in
def start(quiz_slug: str):
    """Start a new attempt (or resume the open one) and go to its first page."""
    quiz = _load_quiz(quiz_slug)
    try:
        attempt, _is_new = start_attempt(
            db.session, current_user.id, quiz, now=clock.now(), listeners=QUIZ_GRADED.receivers()
        )
    except AttemptRefused as error:
        db.session.commit()  # an expired attempt may have been submitted on the way
        return _render_start(quiz, error=error_message(error), status=409)
    except IntegrityError:
        # Two starts at once (double click): the other request created the attempt.
        db.session.rollback()
        policy = attempt_policy(db.session, current_user, quiz, now=clock.now())
        if policy.open_attempt_id is None:
            raise
        return redirect(url_for(".attempt_page", attempt_id=policy.open_attempt_id), 303)
    db.session.commit()
    return redirect(url_for(".attempt_page", attempt_id=attempt.id), 303)


def _home_panel(user: Any, now: Any) -> Deferred:
    return learner_quizzes(user).then(_quizzes_panel)


def _quizzes_panel(rows: list[Any]) -> dict[str, Any] | None:
    if not rows:
        return None
    lang = language()
    return {
        "template": "assessment/_home_panel.html",
        "quizzes": [
            {
                "title": presenters.title_in(row.title, lang),
                "url": (
                    url_for("assessment.attempt_page", attempt_id=row.open_attempt_id)
                    if row.open_attempt_id
                    else url_for("assessment.quiz_start", quiz_slug=row.slug)
                ),
                "is_open": row.open_attempt_id is not None,
                "deadline_at": row.deadline_at,
            }
            for row in rows
        ],
    }


def register(app: Flask) -> None:
    """Plug quizzes into the app: routes, CLI, rules, navigation, home panel, quiz answers."""
    from app.assessment import (
        attempt_views,  # noqa: F401 - adds the attempt pages, submission and result to bp
        draft_views,  # noqa: F401 - adds the draft's settings, preview and publish to bp
        editor_views,  # noqa: F401 - adds the quiz editor's routes to bp
        quiz_create_views,  # noqa: F401 - adds "new quiz in forms" to bp
        quiz_source_views,  # noqa: F401 - adds the YAML editor and "new quiz in YAML" to bp
        quiz_transfer_views,  # noqa: F401 - adds GIFT import and the exports to bp
        trainer_views,  # noqa: F401 - adds the quiz list, format help and results to bp
    )
    from app.assessment.cli import quizzes_cli
    from app.assessment.library import check_quiz_paths, import_quizzes
    from app.platform.hooks import LIBRARY_IMPORTERS, LibraryImporter

    register_rule(TAKE_QUIZ, _take_quiz)
    register_rule(VIEW_ATTEMPT, _own_attempt)
    register_rule(EDIT_QUIZ, _edit_quiz)
    app.register_blueprint(bp)
    app.cli.add_command(quizzes_cli)
    NAV_ENTRIES.connect(
        app, ("assessment.trainer_quizzes", _l("Quizzes"), {Role.TRAINER, Role.ADMIN})
    )
    HOME_PANELS.connect(app, _home_panel)
    LIBRARY_IMPORTERS.connect(app, LibraryImporter(check_quiz_paths, import_quizzes))
    MODULE_QUIZZES.connect(app, module_quizzes)
