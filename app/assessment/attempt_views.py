"""Taking a quiz, once started: attempt pages, autosave, confirmation, submission and result.

Every view loads the attempt, checks it is the learner's own (404 otherwise), calls one
operation and commits once. GET never writes: an open attempt past its deadline is shown as
"time is up" with a button that submits it (a POST). The routes belong to the quiz blueprint
of `app.assessment.views`.
"""

from __future__ import annotations

import secrets
from typing import Any

from flask import flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.assessment import grading, journey, presenters
from app.assessment.attempts import (
    AnswerRefused,
    AttemptClosed,
    AttemptError,
    AttemptExpired,
    counted_responses,
    save_answer,
    submit_attempt,
)
from app.assessment.models import DEADLINE_GRACE, Attempt, Quiz
from app.assessment.operations import definition_of
from app.assessment.queries import answers_by_question, learner_standing, load_attempt
from app.assessment.views import (
    MAX_JSON_BYTES,
    TAKE_QUIZ,
    VIEW_ATTEMPT,
    bp,
    error_message,
    language,
)
from app.extensions import db
from app.i18n.formatting import format_decimal
from app.i18n.request_language import select_language
from app.permissions import ensure, may, signed_in
from app.platform.hooks import QUIZ_GRADED
from app.timekeeping import clock


def _wants_json() -> bool:
    """Tell whether the client asked for JSON."""
    return request.is_json or request.accept_mimetypes.best == "application/json"


def _load_attempt(attempt_id: int, *, for_update: bool = False) -> Attempt:
    """The learner's own attempt with its version (404 for anyone else's)."""
    attempt = load_attempt(db.session, attempt_id, for_update=for_update)
    ensure(VIEW_ATTEMPT, attempt)
    return attempt


def _time_up_page(attempt: Attempt):
    """The "time is up" page, with the button that submits the attempt."""
    quiz = db.session.get(Quiz, attempt.quiz_id)
    return render_template(
        "assessment/time_up.html",
        attempt=attempt,
        quiz=quiz,
        title=presenters.title_in(definition_of(attempt.version).title, language()),
        submit_key=secrets.token_hex(16),
    )


def _json_error(status: int, code: str, message: str, **extra: Any):
    """A JSON error reply for the autosave endpoint and JSON clients."""
    response = jsonify(error={"status": status, "code": code, "message": message, **extra})
    response.status_code = status
    return response


def _error_page(status: int, message: str):
    """The error page for a request the quiz refuses."""
    titles = {400: _("The request could not be understood"), 409: _("Conflict")}
    return (
        render_template(
            "errors/error.html",
            status=status,
            title=titles.get(status, _("Error")),
            message=message,
        ),
        status,
    )


def _page_count(attempt: Attempt, layout: str) -> int:
    return len(attempt.question_ids) if layout == "one_per_page" else 1


def _page_arg(value: Any, pages: int) -> int:
    try:
        return max(1, min(int(value), pages))
    except (TypeError, ValueError):
        return 1


def _render_attempt(
    attempt: Attempt,
    page: int,
    *,
    errors: dict[str, str] | None = None,
    typed: dict[str, Any] | None = None,
    status: int = 200,
):
    definition = definition_of(attempt.version)
    lang = language()
    ids = list(attempt.question_ids)
    one_per_page = definition.layout == "one_per_page"
    pages = _page_count(attempt, definition.layout)
    shown_ids = [ids[page - 1]] if one_per_page else ids
    answers = answers_by_question(db.session, attempt.id)
    responses = {qid: answer.response for qid, answer in answers.items()}
    responses.update(typed or {})
    questions = []
    for qid in shown_ids:
        shown = presenters.learner_question(
            definition.question(qid), lang, attempt.option_orders.get(qid), responses.get(qid)
        )
        shown["number"] = ids.index(qid) + 1
        shown["error"] = (errors or {}).get(qid)
        questions.append(shown)
    now = clock.now()
    return (
        render_template(
            "assessment/attempt.html",
            attempt=attempt,
            title=presenters.title_in(definition.title, lang),
            questions=questions,
            page=page,
            pages=pages,
            one_per_page=one_per_page,
            total=len(ids),
            answered={qid for qid, response in responses.items() if response is not None},
            ids=ids,
            now=now,
            seconds_left=(
                max(0, int((attempt.deadline_at - now).total_seconds()))
                if attempt.deadline_at
                else None
            ),
            errors=errors or {},
            grace_seconds=int(DEADLINE_GRACE.total_seconds()),
        ),
        status,
    )


@bp.get("/attempts/<int:attempt_id>")
@signed_in
def attempt_page(attempt_id: int):
    """Show one page of an open attempt (one question, or all of them)."""
    attempt = _load_attempt(attempt_id)
    if not attempt.is_open:
        return redirect(url_for(".result", attempt_id=attempt.id), 303)
    if attempt.is_past_deadline(clock.now()):
        return _time_up_page(attempt)
    pages = _page_count(attempt, definition_of(attempt.version).layout)
    return _render_attempt(attempt, _page_arg(request.args.get("page"), pages))


def _field_error(number: int, template: str) -> str:
    return _("Question %(number)s: %(message)s", number=number, message=_(template))


@bp.post("/attempts/<int:attempt_id>/save")
@signed_in
def attempt_save(attempt_id: int):
    """Save the answers of the page posted (no JavaScript needed), then move on (PRG)."""
    attempt = _load_attempt(attempt_id, for_update=True)
    if not attempt.is_open:
        flash(_("This attempt has already been submitted."), "warning")
        return redirect(url_for(".result", attempt_id=attempt.id), 303)
    definition = definition_of(attempt.version)
    pages = _page_count(attempt, definition.layout)
    page = _page_arg(request.form.get("page"), pages)
    shown = request.form.getlist("shown")
    if not shown or any(qid not in attempt.question_ids for qid in shown):
        db.session.rollback()
        return _error_page(400, _("This question is not part of your attempt."))
    now = clock.now()
    errors: dict[str, str] = {}
    typed: dict[str, Any] = {}
    answers = answers_by_question(db.session, attempt.id)  # read once for the whole page
    for qid in dict.fromkeys(shown):
        question = definition.question(qid)
        number = attempt.question_ids.index(qid) + 1
        try:
            response = presenters.response_from_form(question, request.form, f"q-{qid}")
            save_answer(
                db.session,
                attempt,
                qid,
                response,
                now=now,
                listeners=QUIZ_GRADED.receivers(),
                locked=True,
                answers=answers,
            )
        except grading.InvalidResponse as error:
            errors[qid] = _field_error(number, str(error.args[0]))
        except AnswerRefused as error:
            errors[qid] = _field_error(number, error.template)
            if question.type in ("short", "numeric"):
                typed[qid] = request.form.get(f"q-{qid}", "")[:200]
        except AttemptExpired as error:
            db.session.commit()
            flash(error_message(error), "warning")
            return redirect(url_for(".result", attempt_id=attempt_id), 303)
        except AttemptClosed as error:
            db.session.rollback()
            flash(error_message(error), "warning")
            return redirect(url_for(".result", attempt_id=attempt_id), 303)
    db.session.commit()
    if errors:
        return _render_attempt(attempt, page, errors=errors, typed=typed, status=400)
    go = request.form.get("go", "")
    if go == "finish":
        return redirect(url_for(".confirm", attempt_id=attempt_id), 303)
    # attempt_id, not attempt.id: after the commit that would read the attempt again.
    return redirect(
        url_for(".attempt_page", attempt_id=attempt_id, page=_page_arg(_moved(go, page), pages)),
        303,
    )


def _moved(go: str, page: int) -> int:
    """The page the learner's button leads to (next, previous or a number)."""
    if go == "next":
        return page + 1
    if go == "prev":
        return page - 1
    return int(go) if go.isdigit() else page


@bp.post("/attempts/<int:attempt_id>/answers")
@signed_in
def save_answer_json(attempt_id: int):
    """Autosave one answer: JSON {question_id, response}; the reply holds no grading at all."""
    attempt = load_attempt(db.session, attempt_id, for_update=True)
    if attempt is None or not may(current_user, VIEW_ATTEMPT, attempt):
        return _json_error(404, "not_found", _("Page not found"))
    if (request.content_length or 0) > MAX_JSON_BYTES:
        return _json_error(413, "too_large", _("The answer is too long."))
    payload = request.get_json(silent=True)
    if not isinstance(payload, dict) or not isinstance(payload.get("question_id"), str):
        return _json_error(400, "invalid", _("Send JSON with question_id and response."))
    try:
        answer = save_answer(
            db.session,
            attempt,
            payload["question_id"],
            payload.get("response"),
            now=clock.now(),
            listeners=QUIZ_GRADED.receivers(),
            locked=True,
        )
    except AttemptExpired as error:
        db.session.commit()
        return _json_error(
            error.status,
            error.code,
            error_message(error),
            result_url=url_for(".result", attempt_id=attempt_id),
        )
    except AttemptError as error:
        db.session.rollback()
        extra = {}
        if isinstance(error, AttemptClosed):
            extra["result_url"] = url_for(".result", attempt_id=attempt_id)
        return _json_error(error.status, error.code, error_message(error), **extra)
    # Read before the commit expires the row, which would cost a second transaction.
    reply = {
        "saved": True,
        "question_id": answer.question_id,
        "answered": answer.response is not None,
        "saved_at": answer.saved_at.isoformat() if answer.saved_at else None,
    }
    db.session.commit()
    return jsonify(**reply)


@bp.get("/attempts/<int:attempt_id>/confirm")
@signed_in
def confirm(attempt_id: int):
    """Ask for confirmation before submitting, listing the questions not answered yet."""
    attempt = _load_attempt(attempt_id)
    if not attempt.is_open:
        return redirect(url_for(".result", attempt_id=attempt.id), 303)
    if attempt.is_past_deadline(clock.now()):
        return _time_up_page(attempt)
    definition = definition_of(attempt.version)
    answers = answers_by_question(db.session, attempt.id)
    unanswered = [
        (number, qid)
        for number, qid in enumerate(attempt.question_ids, start=1)
        if qid not in answers or answers[qid].response is None
    ]
    return render_template(
        "assessment/confirm.html",
        attempt=attempt,
        title=presenters.title_in(definition.title, language()),
        unanswered=unanswered,
        total=len(attempt.question_ids),
        one_per_page=definition.layout == "one_per_page",
        submit_key=secrets.token_hex(16),
    )


@bp.post("/attempts/<int:attempt_id>/submit")
@signed_in
def submit(attempt_id: int):
    """Submit the attempt; idempotent: a retry or a second tab gets the same result."""
    attempt = _load_attempt(attempt_id, for_update=True)
    key = (request.form.get("submit_key") or request.headers.get("Idempotency-Key") or "")[:64]
    listeners = QUIZ_GRADED.receivers()
    outcome = submit_attempt(
        db.session, attempt, now=clock.now(), key=key or None, listeners=listeners, locked=True
    )
    # Read before the commit expires the row, which would cost a second transaction.
    reply = {
        "attempt_id": attempt_id,
        "state": outcome.attempt.state.value,
        "score_percent": outcome.attempt.score_percent,
        "is_passed": outcome.attempt.is_passed,
        "result_url": url_for(".result", attempt_id=attempt_id),
    }
    db.session.commit()
    if _wants_json():
        return jsonify(**reply)
    return redirect(reply["result_url"], 303)


@bp.get("/attempts/<int:attempt_id>/result")
@signed_in
def result(attempt_id: int):
    """Show the score, pass or fail, the review the policy allows, and what comes next."""
    attempt = _load_attempt(attempt_id)
    now = clock.now()
    if attempt.is_open:
        if attempt.is_past_deadline(now):
            return _time_up_page(attempt)
        return redirect(url_for(".attempt_page", attempt_id=attempt.id), 303)
    quiz = db.session.get(Quiz, attempt.quiz_id)
    definition = definition_of(attempt.version)
    lang = language()
    current = quiz.current_version
    standing = learner_standing(db.session, current_user, quiz, now=now)
    policy = standing.policy if current else None
    passed = standing.has_passed
    # The server decides: without the policy's consent the key never reaches the page.
    reveal = presenters.reveals_answer_key(
        definition.review,
        has_passed=passed,
        attempts_left=policy.attempts_left if policy else 0,
    )
    answers = answers_by_question(db.session, attempt.id)
    responses = counted_responses(attempt, answers.values())
    reviews = []
    for number, qid in enumerate(attempt.question_ids, start=1):
        shown = presenters.review_question(
            definition.question(qid),
            responses.get(qid),
            lang,
            reveal=reveal,
            number_format=format_decimal,
        )
        shown["number"] = number
        reviews.append(shown)
    steps = journey.next_steps(
        db.session,
        user_id=current_user.id,
        module_id=quiz.module_id,
        language=select_language(),
        has_passed=passed,
    )
    return render_template(
        "assessment/result.html",
        attempt=attempt,
        quiz=quiz,
        title=presenters.title_in(definition.title, lang),
        pass_mark=attempt.version.pass_mark,
        review_policy=definition.review,
        reveal=reveal,
        reviews=reviews,
        policy=policy,
        has_passed=passed,
        steps=steps,
        best=standing.best,
        score_policy=definition_of(current).score_policy if current else "highest",
        can_take=may(current_user, TAKE_QUIZ, quiz),
    )


# -- home page panel and wiring ----------------------------------------------------------------
