"""Trainers' pages: item analysis of their quizzes and learners' feedback on their modules.

A trainer sees the quizzes and modules of their providers (admins: all); anything else is 404.
"""

from __future__ import annotations

import re
from typing import Any

from flask import Flask, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm

from app.assessment.questions import Question
from app.assessment.questions import Quiz as QuizDefinition
from app.extensions import db
from app.i18n.languages import text_in
from app.i18n.request_language import select_language
from app.people.models import Role
from app.people.safe_redirect import safe_next_path
from app.permissions import is_admin, may, register_rule, roles_required, trainer_provider_ids
from app.platform.audit import record_event
from app.platform.hooks import NAV_ENTRIES
from app.readiness import charts, exports
from app.readiness.forms import (
    REPORT_STATUS_LABELS,
    ReportStatusForm,
    parse_attempt_policy,
    parse_report_status,
    parse_version,
)
from app.readiness.item_analysis import (
    FLAG_TEXTS,
    AnswerData,
    AttemptData,
    OptionKey,
    QuestionKey,
    QuizAnalysis,
    analyse_quiz,
    score_bins,
)
from app.readiness.models import ReportStatus
from app.readiness.operations import set_report_status
from app.readiness.queries import (
    feedback_by_module,
    feedback_by_page,
    module_in_trainer_scope,
    module_reports,
    module_titles,
    quiz_by_slug,
    quiz_versions,
    quizzes_for_analysis,
    report_in_trainer_scope,
    submitted_answers,
)
from app.readiness.views import bp
from app.timekeeping import clock

TRAINERS = (Role.TRAINER, Role.ADMIN)
ANALYSE_QUIZ = "readiness.analyse_quiz"
_TAG_RE = re.compile(r"<[^>]+>")


def _may_analyse(user: Any, quiz: Any) -> bool:
    """Trainers of the quiz's provider and admins may read its statistics."""
    return is_admin(user) or quiz.provider_id in trainer_provider_ids(user)


def _plain(markdown: str, limit: int = 160) -> str:
    """A question's text for a table cell: no markup, one line, shortened."""
    text = _TAG_RE.sub("", markdown or "")
    text = re.sub(r"[*_`#>\[\]]", "", text)
    text = " ".join(text.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def question_keys(definition: QuizDefinition, language: str) -> list[QuestionKey]:
    """Turn a quiz definition into what the analysis needs, with labels in `language`."""
    keys = []
    for question in definition.all_questions():
        keys.append(
            QuestionKey(
                id=question.id,
                type=question.type,
                points=float(question.points or 1),
                label=_plain(text_in(question.stem, language)),
                options=_option_keys(question, language),
            )
        )
    return keys


def _option_keys(question: Question, language: str) -> tuple[OptionKey, ...]:
    if question.type == "single":
        return tuple(
            OptionKey(o.id, _plain(text_in(o.text, language), 80), bool(o.correct))
            for o in question.options
        )
    if question.type == "multiple":
        return tuple(
            OptionKey(o.id, _plain(text_in(o.text, language), 80), (o.weight or 0) > 0)
            for o in question.options
        )
    if question.type == "truefalse":
        return (
            OptionKey("true", _("True"), question.answer is True),
            OptionKey("false", _("False"), question.answer is False),
        )
    return ()


def attempts_from_rows(rows: list[tuple[Any, ...]]) -> list[AttemptData]:
    """Group answer rows (see `queries.submitted_answers`) into attempts."""
    attempts: dict[int, dict[str, Any]] = {}
    for attempt_id, user_id, number, started_at, question_id, response, fraction, saved in rows:
        entry = attempts.setdefault(
            attempt_id,
            {"user_id": user_id, "number": number, "started_at": started_at, "answers": []},
        )
        entry["answers"].append(AnswerData(question_id, response, fraction, saved))
    return [
        AttemptData(
            attempt_id=attempt_id,
            user_id=entry["user_id"],
            number=entry["number"],
            answers=tuple(entry["answers"]),
            started_at=entry["started_at"],
        )
        for attempt_id, entry in attempts.items()
    ]


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
            charts.facility_bars(
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
        "readiness/quizzes.html",
        quizzes=quizzes_for_analysis(db.session, current_user),
        language=select_language(),
        text_in=text_in,
    )


@bp.get("/quizzes/<slug>")
@roles_required(*TRAINERS)
def item_analysis(slug: str):
    """Item analysis of one quiz: facility, discrimination, options, time and flags."""
    quiz = _load_quiz(slug)
    analysis, context = _analysis(quiz)
    return render_template(
        "readiness/item_analysis.html",
        quiz=quiz,
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


@bp.post("/quizzes/<slug>/export/<table>.<file_format>")
@roles_required(*TRAINERS)
def item_analysis_export(slug: str, table: str, file_format: str):
    """Download the question or option table of an item analysis (CSV or XLSX)."""
    quiz = _load_quiz(slug)
    if table not in ("questions", "options") or file_format not in exports.FORMATS:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    analysis, _context = _analysis(quiz)
    name = f"item-analysis-{quiz.slug}-{table}"
    if table == "questions":
        data = exports.Table(
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
                    exports.percent(q.facility),
                    exports.percent(q.sd),
                    _percent(q.discrimination),
                    _percent(q.upper_lower),
                    None if q.mean_seconds is None else round(q.mean_seconds, 1),
                    "; ".join(_(FLAG_TEXTS[f]) for f in q.flags),
                ]
                for q in analysis.questions
            ],
        )
    else:
        data = exports.Table(
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
                    exports.percent(o.share),
                    exports.percent(o.top_share),
                    exports.percent(o.bottom_share),
                ]
                for q in analysis.questions
                for o in q.options
            ],
        )
    record_event(
        db.session,
        "readiness.exported",
        actor_id=current_user.id,
        object_type="quiz",
        object_id=quiz.id,
        ip_address=request.remote_addr,
        now=clock.now(),
        table=f"item_analysis:{table}",
        format=file_format,
    )
    db.session.commit()
    return exports.download(data, file_format)


# --- learners' feedback -----------------------------------------------------------------------


@bp.get("/feedback")
@roles_required(*TRAINERS)
def feedback():
    """Feedback per module the trainer looks after: helpful or not, open reports."""
    rows = feedback_by_module(db.session, current_user)
    titles = module_titles(db.session, [r.module_id for r in rows], select_language())
    return render_template("readiness/feedback.html", rows=rows, titles=titles)


def _module(module_id: int) -> Any:
    module = module_in_trainer_scope(db.session, current_user, module_id)
    if module is None:
        abort(404)
    return module


@bp.get("/feedback/modules/<int:module_id>")
@roles_required(*TRAINERS)
def module_feedback(module_id: int):
    """A module's feedback per page, and its problem reports with their status."""
    module = _module(module_id)
    status = parse_report_status(request.args)
    titles = module_titles(db.session, [module.id], select_language())
    return render_template(
        "readiness/module_feedback.html",
        module=module,
        title=titles[module.id].title if module.id in titles else module.slug,
        pages=feedback_by_page(db.session, module.id),
        reports=module_reports(db.session, module.id, status=status),
        status=status,
        status_labels=REPORT_STATUS_LABELS,
        form=ReportStatusForm(formdata=None),
        export_form=FlaskForm(),
    )


@bp.post("/feedback/reports/<int:report_id>/status")
@roles_required(*TRAINERS)
def report_status(report_id: int):
    """Mark a report received, in progress or handled (the learner sees it)."""
    report = report_in_trainer_scope(db.session, current_user, report_id)
    if report is None:
        abort(404)
    form = ReportStatusForm()
    if not form.validate_on_submit():
        abort(400)
    changed = set_report_status(
        db.session,
        report,
        ReportStatus(form.status.data),
        actor=current_user,
        now=clock.now(),
        ip=request.remote_addr,
    )
    db.session.commit()
    if changed:
        flash(
            _("The report is now “%(status)s”.", status=REPORT_STATUS_LABELS[report.status]),
            "success",
        )
    back = url_for(".module_feedback", module_id=report.module_id)
    return redirect(safe_next_path(form.next.data, back), 303)


@bp.post("/feedback/modules/<int:module_id>/export/<table>.<file_format>")
@roles_required(*TRAINERS)
def feedback_export(module_id: int, table: str, file_format: str):
    """Download a module's page ratings or problem reports (CSV or XLSX)."""
    module = _module(module_id)
    if table not in ("pages", "reports") or file_format not in exports.FORMATS:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    name = f"feedback-{module.slug}-{table}"
    if table == "pages":
        data = exports.Table(
            name,
            [
                _("Version"),
                _("Language"),
                _("Page"),
                _("Title"),
                _("Helpful"),
                _("Not helpful"),
                _("Reports"),
            ],
            [
                [
                    p.version_number,
                    p.language,
                    p.position,
                    p.title,
                    p.helpful,
                    p.not_helpful,
                    p.reports,
                ]
                for p in feedback_by_page(db.session, module.id)
            ],
        )
    else:
        data = exports.Table(
            name,
            [_("Version"), _("Language"), _("Page"), _("Comment"), _("Status"), _("Sent")],
            [
                [
                    r.version_number,
                    r.language,
                    r.page_position,
                    r.comment,
                    str(REPORT_STATUS_LABELS[r.status]),
                    r.created_at,
                ]
                for r in module_reports(db.session, module.id, limit=100_000)
            ],
        )
    record_event(
        db.session,
        "readiness.exported",
        actor_id=current_user.id,
        object_type="module",
        object_id=module.id,
        ip_address=request.remote_addr,
        now=clock.now(),
        table=f"feedback:{table}",
        format=file_format,
    )
    db.session.commit()
    return exports.download(data, file_format)


def install(app: Flask) -> None:
    """Register the permission rule and the trainers' navigation entries."""
    register_rule(ANALYSE_QUIZ, _may_analyse)
    NAV_ENTRIES.connect_all(
        app,
        [
            ("readiness.quizzes", _l("Item analysis"), {Role.TRAINER, Role.ADMIN}),
            ("readiness.feedback", _l("Learner feedback"), {Role.TRAINER, Role.ADMIN}),
        ],
    )
