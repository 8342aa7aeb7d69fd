"""Trainers' item analysis pages: their quizzes, one quiz's statistics and its exports.

A trainer sees the quizzes of their providers (admins: all); anything else is 404. The pages
keep their addresses under /readiness/quizzes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Flask, abort, render_template, request
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from app.assessment import item_analysis_charts
from app.assessment.item_analysis import (
    ALL_ATTEMPTS,
    FIRST_ATTEMPTS,
    FLAG_TEXTS,
    analyse_quiz,
    score_bins,
)
from app.assessment.item_analysis_data import (
    QuestionKey,
    QuizAnalysis,
)
from app.assessment.item_analysis_queries import (
    attempts_from_rows,
    question_keys,
    quiz_versions,
    quizzes_for_analysis,
    submitted_answers,
)
from app.assessment.queries import quiz_by_slug
from app.assessment.questions import Quiz as QuizDefinition
from app.extensions import db
from app.i18n.languages import text_in
from app.i18n.request_language import select_language
from app.people.models import Role
from app.permissions import is_admin, may, register_rule, roles_required, trainer_provider_ids
from app.platform.audit import record_event
from app.platform.hooks import NAV_ENTRIES
from app.timekeeping import clock
from app.web import charts, table_export
from app.web.errors import bad_request_page
from app.web.query_args import BadFilter, query_arg

bp = Blueprint("item_analysis", __name__, url_prefix="/readiness")

TRAINERS = (Role.TRAINER, Role.ADMIN)
ANALYSE_QUIZ = "assessment.analyse_quiz"
TABLES = ("questions", "options")


@bp.errorhandler(BadFilter)
def bad_filter(error: BadFilter):
    """A version or attempt choice the page cannot use: 400 with the reason."""
    return bad_request_page(str(error))


def _may_analyse(user: Any, quiz: Any) -> bool:
    """Trainers of the quiz's provider and admins may read its statistics."""
    return is_admin(user) or quiz.provider_id in trainer_provider_ids(user)


def parse_attempt_policy(args: Mapping[str, str]) -> str:
    """Read which attempts item analysis uses: each learner's first, or all."""
    raw = query_arg(args, "attempts") or FIRST_ATTEMPTS
    if raw not in (FIRST_ATTEMPTS, ALL_ATTEMPTS):
        raise BadFilter(_("Choose the first attempts or all attempts."))
    return raw


def parse_version(args: Mapping[str, str], known: set[int]) -> int | None:
    """Read an optional quiz version number that must exist."""
    raw = query_arg(args, "version")
    if raw is None or raw == "":
        return None
    if not raw.isdigit() or int(raw) not in known:
        raise BadFilter(_("This quiz has no version “%(value)s”.", value=raw[:20]))
    return int(raw)


def _load_quiz(slug: str) -> Any:
    quiz = quiz_by_slug(db.session, slug)
    if quiz is None or not may(current_user, ANALYSE_QUIZ, quiz):
        abort(404)
    return quiz


def _analysis(quiz: Any) -> tuple[QuizAnalysis, dict[str, Any]]:
    versions = quiz_versions(db.session, quiz.id)
    by_number = {number: (vid, definition) for vid, number, definition in versions}
    version = parse_version(request.args, set(by_number))
    policy = parse_attempt_policy(request.args)
    language = select_language()
    keys: dict[str, QuestionKey] = {}
    # Labels from the chosen version, else from the newest version that has the question.
    chosen = [by_number[version]] if version is not None else [by_number[n] for n in by_number]
    for _vid, definition in sorted(chosen, key=lambda item: -item[0]):
        for key in question_keys(QuizDefinition.from_dict(definition), language):
            keys.setdefault(key.id, key)
    rows = submitted_answers(
        db.session, quiz.id, version_id=by_number[version][0] if version is not None else None
    )
    analysis = analyse_quiz(list(keys.values()), attempts_from_rows(rows), policy=policy)
    title = quiz.slug
    if versions:
        title = text_in(dict(versions[0][2].get("title", {})), language) or quiz.slug
    context = {
        "title": title,
        "versions": sorted(by_number),
        "version": version,
        "policy": policy,
    }
    return analysis, context


def _analysis_figures(analysis: QuizAnalysis) -> dict[str, str]:
    if not analysis.attempts:
        return {}
    return {
        "scores": charts.figure_json(
            charts.score_distribution(
                [(_("Attempts"), score_bins(analysis.scores))],
                labels={"x": _("Score (points of 100)"), "y": _("Attempts")},
            )
        ),
        "items": charts.figure_json(
            item_analysis_charts.facility_bars(
                [q.question_id for q in analysis.questions],
                [q.facility for q in analysis.questions],
                [q.discrimination for q in analysis.questions],
                labels={
                    "x": _("Question"),
                    "y": _("Index (× 100)"),
                    "facility": _("Facility"),
                    "discrimination": _("Discrimination"),
                },
            )
        ),
    }


@bp.get("/quizzes")
@roles_required(*TRAINERS)
def quizzes():
    """The quizzes a trainer looks after, with their number of submitted attempts."""
    return render_template(
        "assessment/item_analysis_quizzes.html",
        quizzes=quizzes_for_analysis(db.session, current_user),
        language=select_language(),
        text_in=text_in,
    )


@bp.get("/quizzes/<slug>")
@roles_required(*TRAINERS)
def quiz(slug: str):
    """Item analysis of one quiz: facility, discrimination, options, time and flags."""
    found = _load_quiz(slug)
    analysis, context = _analysis(found)
    return render_template(
        "assessment/item_analysis.html",
        quiz=found,
        analysis=analysis,
        figures=_analysis_figures(analysis),
        flag_texts={key: _(text) for key, text in FLAG_TEXTS.items()},
        bins=charts.bin_labels(),
        score_counts=score_bins(analysis.scores),
        export_form=FlaskForm(),
        **context,
    )


def _percent(value: float | None) -> float | None:
    return None if value is None else round(100 * value, 1)


def _questions_table(name: str, analysis: QuizAnalysis) -> table_export.Table:
    """One row per question: its statistics and flags."""
    percent = table_export.percent
    return table_export.Table(
        name,
        [
            _("Question"),
            _("Text"),
            _("Type"),
            _("Attempts"),
            _("Facility (%)"),
            _("Standard deviation (%)"),
            _("Discrimination (× 100)"),
            _("Upper − lower (× 100)"),
            _("Average time (s)"),
            _("Flags"),
        ],
        [
            [
                q.question_id,
                q.label,
                q.type,
                q.asked,
                percent(q.facility),
                percent(q.sd),
                _percent(q.discrimination),
                _percent(q.upper_lower),
                None if q.mean_seconds is None else round(q.mean_seconds, 1),
                "; ".join(_(FLAG_TEXTS[f]) for f in q.flags),
            ]
            for q in analysis.questions
        ],
    )


def _options_table(name: str, analysis: QuizAnalysis) -> table_export.Table:
    """One row per option (or open response) of each question: how often it was chosen."""
    percent = table_export.percent
    return table_export.Table(
        name,
        [
            _("Question"),
            _("Option or response"),
            _("Right"),
            _("Chosen"),
            _("Chosen (%)"),
            _("Top 27 % (%)"),
            _("Bottom 27 % (%)"),
        ],
        [
            [
                q.question_id,
                o.label,
                o.is_correct,
                o.count,
                percent(o.share),
                percent(o.top_share),
                percent(o.bottom_share),
            ]
            for q in analysis.questions
            for o in q.options
        ],
    )


@bp.post("/quizzes/<slug>/export/<table>.<file_format>")
@roles_required(*TRAINERS)
def export(slug: str, table: str, file_format: str):
    """Download the question or option table of an item analysis (CSV or XLSX)."""
    found = _load_quiz(slug)
    if table not in TABLES or file_format not in table_export.FORMATS:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    analysis, _context = _analysis(found)
    name = f"item-analysis-{found.slug}-{table}"
    build = _questions_table if table == "questions" else _options_table
    data = build(name, analysis)
    record_event(
        db.session,
        "readiness.exported",
        actor_id=current_user.id,
        object_type="quiz",
        object_id=found.id,
        ip_address=request.remote_addr,
        now=clock.now(),
        table=f"item_analysis:{table}",
        format=file_format,
    )
    db.session.commit()
    return table_export.download(data, file_format)


def register(app: Flask) -> None:
    """Register the pages, the permission rule and the trainers' navigation entry."""
    app.register_blueprint(bp)
    register_rule(ANALYSE_QUIZ, _may_analyse)
    NAV_ENTRIES.connect(app, ("item_analysis.quizzes", _l("Item analysis"), set(TRAINERS)))
