"""Glossary pages for trainers: list, add, edit, delete and import entries."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from flask import abort, flash, redirect, render_template, request
from flask import url_for as flask_url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from sqlalchemy.exc import IntegrityError
from wtforms.fields.choices import SelectChoice

from app.content.authoring_queries import editable_providers
from app.extensions import db
from app.i18n.languages import LANGUAGES
from app.people.forms import LANGUAGE_NAMES
from app.permissions import Action, ensure, is_admin, may, roles_required
from app.plain_language.blueprint import AUTHORS, EDIT_ENTRY, bp
from app.plain_language.forms import EditEntryForm, EntryForm, ImportForm
from app.plain_language.glossary_file import GlossaryFileError
from app.plain_language.models import GlossaryEntry
from app.plain_language.operations import (
    GlossaryRefused,
    add_entry,
    delete_entry,
    import_glossary,
    update_entry,
)
from app.plain_language.queries import (
    visible_entries,
)
from app.timekeeping import clock

SHARED = "shared"


@dataclass(frozen=True)
class GlossaryOwner:
    """Whose glossary an entry goes to: a provider's, or the shared one (None)."""

    provider_id: int | None


def may_edit_entry(user: Any, obj: Any) -> bool:
    """Shared entries are the admins'; a provider's entries are its trainers' (and admins')."""
    if obj.provider_id is None:
        return may(user, Action.ADMINISTER)
    return may(user, Action.EDIT_CONTENT, obj.provider_id)


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
