"""The check of a module: terms, long sentences and readability per language; accepting terms."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template
from flask import url_for as flask_url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError

from app.content.authoring_queries import draft_for, module_for_editor
from app.content.models import Module
from app.extensions import db
from app.i18n.languages import LANGUAGES
from app.people.forms import LANGUAGE_NAMES
from app.permissions import Action, ensure, roles_required
from app.plain_language.blueprint import AUTHORS, bp
from app.plain_language.checker import check_module_text
from app.plain_language.editor_preview import max_words
from app.plain_language.forms import AcceptForm
from app.plain_language.models import AcceptedTerm
from app.plain_language.operations import (
    accept_term,
    withdraw_acceptance,
)
from app.plain_language.queries import (
    accepted_keys,
    accepted_terms,
    glossary_terms,
)
from app.timekeeping import clock


def _module_or_404(module_id: int) -> Module:
    module = module_for_editor(db.session, module_id)
    ensure(Action.EDIT_CONTENT, module)
    assert module is not None
    return module


def _module_texts(module: Module) -> list[tuple[str, str, str, bool]]:
    """(language, title, Markdown, is_draft) by language: the draft, else the published text."""
    texts = {}
    if module.current_version is not None:
        for variant in module.current_version.variants:
            texts[variant.language] = (variant.title, variant.markdown, False)
    for language in LANGUAGES:
        draft = draft_for(db.session, module.id, language)
        if draft is not None:
            texts[language] = (draft.title, draft.markdown, True)
    return [(lang, *texts[lang]) for lang in LANGUAGES if lang in texts]


@bp.get("/modules/<int:module_id>")
@roles_required(*AUTHORS)
def module_check(module_id: int):
    """Terms, long sentences and readability of each language of a module; accept terms here."""
    module = _module_or_404(module_id)
    languages = []
    for language, title, markdown, is_draft in _module_texts(module):
        reports = check_module_text(
            markdown,
            language,
            glossary_terms(db.session, language, module.provider_id),
            title=title,
            accepted=accepted_keys(db.session, module.id, language),
            max_words=max_words(),
        )
        languages.append(
            {"language": language, "title": title, "is_draft": is_draft, "reports": reports}
        )
    return render_template(
        "plain_language/module_check.html",
        module=module,
        languages=languages,
        language_names=LANGUAGE_NAMES,
        accepted=accepted_terms(db.session, module.id),
        accept_form=AcceptForm(),
        withdraw_form=FlaskForm(),
        max_words=max_words(),
    )


@bp.post("/modules/<int:module_id>/accept")
@roles_required(*AUTHORS)
def accept(module_id: int):
    """Keep a term in one language of this module: its warning is not shown there again."""
    module = _module_or_404(module_id)
    form = AcceptForm()
    if not form.validate_on_submit() or form.language.data not in LANGUAGES:
        abort(400)
    try:
        accept_term(
            db.session,
            module,
            form.language.data,
            form.term.data,
            actor=current_user,
            now=clock.now(),
        )
        db.session.commit()
    except IntegrityError:
        db.session.rollback()  # accepted twice at the same moment: once is enough
    flash(_("'%(term)s' is accepted in this module.", term=form.term.data), "success")
    return redirect(flask_url_for(".module_check", module_id=module.id), 303)


@bp.post("/modules/<int:module_id>/accepted/<int:accepted_id>/withdraw")
@roles_required(*AUTHORS)
def withdraw(module_id: int, accepted_id: int):
    """Show the term's warning in this module again."""
    module = _module_or_404(module_id)
    accepted = db.session.get(AcceptedTerm, accepted_id)
    if accepted is None or accepted.module_id != module.id:
        abort(404)
    if not FlaskForm().validate_on_submit():
        abort(400)
    withdraw_acceptance(db.session, accepted)
    db.session.commit()
    flash(_("'%(term)s' is flagged again in this module.", term=accepted.term), "success")
    return redirect(flask_url_for(".module_check", module_id=module.id), 303)
