"""Glossary pages for trainers (list, add, edit, delete, import) and the check of a module."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import click
from flask import Blueprint, Flask, abort, current_app, flash, redirect, render_template, request
from flask import url_for as flask_url_for
from flask.cli import with_appcontext
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from app.content.models import Module
from app.content.queries import draft_for, editable_providers, module_for_editor
from app.extensions import db
from app.people.forms import LANGUAGE_NAMES
from app.people.models import Role
from app.permissions import Action, ensure, is_admin, may, register_rule, roles_required
from app.plain_language.checker import DEFAULT_MAX_WORDS, LANGUAGES, check_module_text
from app.plain_language.forms import AcceptForm, EditEntryForm, EntryForm, ImportForm
from app.plain_language.glossary_file import GlossaryFileError
from app.plain_language.models import AcceptedTerm, GlossaryEntry
from app.plain_language.operations import (
    GlossaryRefused,
    accept_term,
    add_entry,
    delete_entry,
    import_glossary,
    load_shipped_acceptances,
    load_shipped_glossaries,
    update_entry,
    withdraw_acceptance,
)
from app.plain_language.queries import (
    accepted_keys,
    accepted_terms,
    glossary_terms,
    visible_entries,
)
from app.plain_language.remarks import HARD_PAGE, LONG_SENTENCE, READABILITY, TERM
from app.platform.hooks import DEMO_LOADERS, NAV_ENTRIES
from app.timekeeping import clock

bp = Blueprint("plain_language", __name__, url_prefix="/plain-language")

EDIT_ENTRY = "plain_language.edit_entry"
SHARED = "shared"
AUTHORS = (Role.TRAINER, Role.ADMIN)


@dataclass(frozen=True)
class GlossaryOwner:
    """Whose glossary an entry goes to: a provider's, or the shared one (None)."""

    provider_id: int | None


def _may_edit_entry(user: Any, obj: Any) -> bool:
    """Shared entries are the admins'; a provider's entries are its trainers' (and admins')."""
    if obj.provider_id is None:
        return may(user, Action.ADMINISTER)
    return may(user, Action.EDIT_CONTENT, obj.provider_id)


def max_words() -> int:
    """The sentence length above which the check warns (setting PLAIN_LANGUAGE_MAX_WORDS)."""
    return int(current_app.config.get("PLAIN_LANGUAGE_MAX_WORDS", DEFAULT_MAX_WORDS))


def _language_or_404(language: str) -> str:
    if language not in LANGUAGES:
        abort(404)
    return language


def _owner_choices() -> list[SelectChoice]:
    choices = [
        SelectChoice(str(pid), name) for pid, name in editable_providers(db.session, current_user)
    ]
    if is_admin(current_user):
        choices.insert(0, SelectChoice(SHARED, _("Shared glossary (all providers)")))
    return choices


def _owner_from(value: str | None) -> GlossaryOwner:
    """The owner chosen in a form, refused (404) unless the user may write to it."""
    if value == SHARED:
        owner = GlossaryOwner(None)
    elif value and value.isdigit():
        owner = GlossaryOwner(int(value))
    else:
        abort(400)
    ensure(EDIT_ENTRY, owner)
    return owner


def _entry_or_404(entry_id: int) -> GlossaryEntry:
    entry = db.session.get(GlossaryEntry, entry_id)
    ensure(EDIT_ENTRY, entry)
    assert entry is not None
    return entry


def _refusal(exc: GlossaryRefused) -> str:
    return _(exc.template, **exc.params)


def _glossary_page(language: str, form: EntryForm, import_form: ImportForm, status: int = 200):
    entries = visible_entries(db.session, current_user, language)
    return (
        render_template(
            "plain_language/glossary.html",
            language=language,
            languages=LANGUAGES,
            language_names=LANGUAGE_NAMES,
            entries=entries,
            editable={e.id for e in entries if may(current_user, EDIT_ENTRY, e)},
            form=form,
            import_form=import_form,
            delete_form=FlaskForm(),
        ),
        status,
    )


def _forms() -> tuple[EntryForm, ImportForm]:
    form, import_form = EntryForm(), ImportForm()
    form.owner.choices = import_form.owner.choices = _owner_choices()
    return form, import_form


@bp.get("/glossary")
@roles_required(*AUTHORS)
def index():
    """The glossary in the user's interface language (or German)."""
    language = getattr(current_user, "preferred_language", None) or "de"
    return redirect(
        flask_url_for(".glossary", language=language if language in LANGUAGES else "de")
    )


@bp.get("/glossary/<language>")
@roles_required(*AUTHORS)
def glossary(language: str):
    """The entries of one language: shared ones and the trainer's providers'."""
    language = _language_or_404(language)
    form, import_form = _forms()
    return _glossary_page(language, form, import_form)


@bp.post("/glossary/<language>/entries")
@roles_required(*AUTHORS)
def add(language: str):
    """Add an entry to a glossary the user may write to."""
    language = _language_or_404(language)
    form, import_form = _forms()
    if not form.validate_on_submit():
        return _glossary_page(language, form, import_form, 422)
    owner = _owner_from(form.owner.data)
    try:
        add_entry(
            db.session,
            language=language,
            term=form.term.data,
            suggestion=form.suggestion.data,
            provider_id=owner.provider_id,
            actor=current_user,
            now=clock.now(),
        )
        db.session.commit()
    except GlossaryRefused as exc:
        db.session.rollback()
        form.term.errors = [*form.term.errors, _refusal(exc)]
        return _glossary_page(language, form, import_form, 422)
    except IntegrityError:
        db.session.rollback()  # added by somebody else between the check and the insert
        form.term.errors = [_("'%(term)s' is already in this glossary", term=form.term.data)]
        return _glossary_page(language, form, import_form, 409)
    flash(_("'%(term)s' has been added to the glossary.", term=form.term.data), "success")
    return redirect(flask_url_for(".glossary", language=language), 303)


@bp.route("/glossary/entries/<int:entry_id>/edit", methods=["GET", "POST"])
@roles_required(*AUTHORS)
def edit(entry_id: int):
    """Change an entry of the user's provider (admins: any entry)."""
    entry = _entry_or_404(entry_id)
    form = EditEntryForm(obj=entry)
    status = 200
    if request.method == "POST":
        status = 422
        if form.validate_on_submit():
            try:
                update_entry(
                    db.session,
                    entry,
                    term=form.term.data,
                    suggestion=form.suggestion.data,
                    now=clock.now(),
                )
                db.session.commit()
            except GlossaryRefused as exc:
                db.session.rollback()
                form.term.errors = [*form.term.errors, _refusal(exc)]
            except IntegrityError:
                db.session.rollback()
                form.term.errors = [
                    _("'%(term)s' is already in this glossary", term=form.term.data)
                ]
            else:
                flash(_("The entry has been saved."), "success")
                return redirect(flask_url_for(".glossary", language=entry.language), 303)
    return render_template("plain_language/edit.html", entry=entry, form=form), status


@bp.post("/glossary/entries/<int:entry_id>/delete")
@roles_required(*AUTHORS)
def delete(entry_id: int):
    """Remove an entry of the user's provider (admins: any entry)."""
    entry = _entry_or_404(entry_id)
    language, term = entry.language, entry.term
    if not FlaskForm().validate_on_submit():
        abort(400)
    delete_entry(db.session, entry)
    db.session.commit()
    flash(_("'%(term)s' has been removed from the glossary.", term=term), "success")
    return redirect(flask_url_for(".glossary", language=language), 303)


@bp.post("/glossary/<language>/import")
@roles_required(*AUTHORS)
def import_csv(language: str):
    """Import a CSV file into one glossary: every row, or nothing when a row is wrong."""
    language = _language_or_404(language)
    form, import_form = _forms()
    if not import_form.validate_on_submit():
        return _glossary_page(language, form, import_form, 422)
    owner = _owner_from(import_form.owner.data)
    upload = import_form.file.data
    filename = upload.filename or "glossary.csv"
    try:
        result = import_glossary(
            db.session,
            upload.read(),
            filename,
            language=language,
            provider_id=owner.provider_id,
            actor=current_user,
            now=clock.now(),
            ip_address=request.remote_addr,
        )
        db.session.commit()
    except GlossaryFileError as exc:
        db.session.rollback()
        import_form.file.errors = [
            _("Nothing was imported. Correct the file and import it again.")
        ] + [
            _("row %(line)d: %(message)s", line=p.line, message=_(p.template, **p.params))
            if p.line
            else _(p.template, **p.params)
            for p in exc.problems
        ]
        return _glossary_page(language, form, import_form, 422)
    except IntegrityError:
        db.session.rollback()
        import_form.file.errors = [
            _("Somebody changed this glossary at the same time: nothing was imported. Try again.")
        ]
        return _glossary_page(language, form, import_form, 409)
    flash(
        _(
            "Imported: %(created)d new term(s), %(updated)d changed, %(unchanged)d unchanged.",
            created=len(result.created),
            updated=len(result.updated),
            unchanged=result.unchanged,
        ),
        "success",
    )
    return redirect(flask_url_for(".glossary", language=language), 303)


# --- a module's check -----------------------------------------------------------------------


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


# --- the editor's preview ---------------------------------------------------------------------


def editor_remarks(module: Module, language: str, markdown: str, title: str = "") -> list[str]:
    """The plain-language remarks the editor's preview shows (translated, lines of the text box)."""
    if language not in LANGUAGES or not markdown.strip():
        return []
    limit = max_words()
    reports = check_module_text(
        markdown,
        language,
        glossary_terms(db.session, language, module.provider_id),
        title=title,
        accepted=accepted_keys(db.session, module.id, language),
        max_words=limit,
    )
    remarks: list[str] = []
    for report in reports:
        for term in report.terms:
            remarks.append(
                _(
                    "line %(line)d: %(message)s",
                    line=term.line,
                    message=_(TERM, found=term.found, suggestion=term.suggestion),
                )
            )
        for sentence in report.long_sentences:
            message = _(LONG_SENTENCE, words=sentence.words, max=limit, start=sentence.start)
            remarks.append(_("line %(line)d: %(message)s", line=sentence.line, message=message))
        figure = report.readability
        if figure is not None:
            template = HARD_PAGE if figure.is_hard else READABILITY
            remarks.append(
                _(
                    template,
                    page=report.number,
                    title=report.title,
                    formula=_(figure.formula),
                    score=f"{figure.score:.0f}",
                    band=_(figure.band),
                )
            )
    return remarks


# --- command line and demo ------------------------------------------------------------------


plain_language_cli = click.Group("plain-language", help="The plain-language glossary.")


def load_glossaries(echo: Callable[[str], None] = print) -> None:
    """Bring the shared glossary up to the shipped files (also run by `flask demo`)."""
    now = clock.now()
    results = load_shipped_glossaries(db.session, now=now)
    for language, result in results.items():
        echo(
            f"glossary {language}: {len(result.created)} added, {len(result.updated)} updated, "
            f"{result.unchanged} unchanged"
        )
    kept, skipped = load_shipped_acceptances(db.session, now=now)
    echo(
        f"terms kept on purpose by shipped modules: {kept} "
        f"({skipped} for modules not imported yet: run this again after `flask content import`)"
    )


@plain_language_cli.command("load")
@with_appcontext
def load_command() -> None:
    """Load the shipped glossaries (de, fr, it, en) into the shared glossary; safe to repeat."""
    try:
        load_glossaries(echo=click.echo)
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise


def register(app: Flask) -> None:
    """Register the blueprint, the permission rule, the navigation entry, CLI and demo loader."""
    app.register_blueprint(bp)
    register_rule(EDIT_ENTRY, _may_edit_entry)
    app.cli.add_command(plain_language_cli)
    NAV_ENTRIES.connect(app, ("plain_language.index", _l("Glossary"), {Role.TRAINER, Role.ADMIN}))
    DEMO_LOADERS.connect(app, load_glossaries)
