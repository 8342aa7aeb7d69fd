"""A new quiz started in forms: its provider, id, title and pass mark; questions come next.

The quiz is created with a draft only, so learners see nothing until it is published.
"""

from __future__ import annotations

from typing import Any

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from app.assessment import draft_forms, drafts
from app.assessment.draft_check import DraftIssue, check_quiz
from app.assessment.editor_views import issue_message
from app.assessment.queries import quiz_by_slug
from app.assessment.questions import Quiz as QuizDefinition
from app.assessment.trainer_common import TRAINERS
from app.assessment.trainer_queries import editable_providers
from app.assessment.views import bp
from app.extensions import db
from app.permissions import Action, may, roles_required
from app.timekeeping import clock


def _render(values: dict[str, str], errors: dict[str, list[str]], status: int = 200) -> Any:
    providers = editable_providers(db.session, current_user)
    return (
        render_template(
            "assessment/trainer_new_quiz.html",
            values=values,
            errors=errors,
            providers=[(str(p.id), p.name) for p in providers],
            languages=[
                (lang, _(draft_forms.LANGUAGE_LABELS[lang])) for lang in draft_forms.TEXT_LANGUAGES
            ],
        ),
        status,
    )


@bp.get("/trainer/quizzes/new/forms")
@roles_required(*TRAINERS)
def quiz_new_in_forms():
    """The first step of a new quiz: what it is called and who provides it."""
    return _render({"pass_mark": "80", "attempts": "3"}, {})


@bp.post("/trainer/quizzes/new/forms/create")
@roles_required(*TRAINERS)
def quiz_create_in_forms():
    """Create the quiz with an empty draft, or show what is wrong (nothing is created)."""
    form = request.form
    values = form.to_dict()
    errors: dict[str, list[str]] = {}
    try:
        provider_id = int(form.get("provider", ""))
    except ValueError:
        provider_id = 0
    if not may(current_user, Action.EDIT_CONTENT, provider_id):
        errors["provider"] = [_("Choose one of your providers.")]
    slug = form.get("id", "").strip()
    module = form.get("module", "").strip() or None
    definition = QuizDefinition(
        id=slug,
        title=draft_forms.read_texts(form, "title"),
        pass_mark=draft_forms.number(form.get("pass_mark", ""), ""),
        attempts=draft_forms.number(form.get("attempts", ""), 0),
        module_id=module,
    )
    _checked, issues = check_quiz(definition)
    found: list[DraftIssue] = [issue for issue in issues if drafts.blocks_settings(issue)]
    module_id, problems = drafts.module_problems(db.session, definition, provider_id)
    found += [DraftIssue(problem, field="module") for problem in problems]
    for issue in found:
        errors.setdefault(issue.field or "id", []).append(issue_message(issue))
    if slug and quiz_by_slug(db.session, slug) is not None:
        errors.setdefault("id", []).append(_("There is already a quiz with this id."))
    if errors:
        return _render(values, errors, status=400)
    quiz = drafts.create_quiz(
        db.session,
        definition,
        provider_id=provider_id,
        module_id=module_id,
        now=clock.now(),
        actor_id=current_user.id,
    )
    db.session.commit()
    flash(_("The quiz has been created as a draft: add its questions."), "success")
    return redirect(url_for(".quiz_draft", quiz_slug=quiz.slug), 303)
