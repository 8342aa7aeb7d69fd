"""The editor of one language of a module: edit and save, discard, live and tablet preview, media.

Its routes belong to the authoring blueprint (`authoring_views`), so their endpoints keep the
names `authoring.edit`, `authoring.preview`...
"""

from __future__ import annotations

from flask import abort, current_app, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.content.authoring_queries import draft_for, module_media
from app.content.authoring_views import AUTHORS, bp, language_or_404, module_or_404
from app.content.diff import line_diff
from app.content.editor_texts import draft_form, render_preview, source_pages, source_text
from app.content.forms import DraftForm, UploadForm, parse_tags
from app.content.markdown_warnings import markdown_warning_details
from app.content.media_files import MediaRefused, media_folder, upload_media
from app.content.models import MediaFile, Module
from app.content.module_format import MAX_FILE_BYTES, split_pages
from app.content.operations import DraftConflict, DraftFields, discard_draft, save_draft
from app.content.rendering import render_title
from app.extensions import db
from app.i18n.formatting import format_datetime
from app.i18n.languages import LANGUAGES
from app.people.forms import LANGUAGE_NAMES
from app.permissions import roles_required
from app.platform.hooks import EDITOR_REMARKS
from app.timekeeping import clock
from app.web.errors import json_error, wants_json


def _editor_page(
    module: Module,
    language: str,
    form: DraftForm,
    *,
    status: int = 200,
    conflict: dict | None = None,
    upload_form: UploadForm | None = None,
):
    markdown = form.markdown.data or ""
    if len(markdown) > MAX_FILE_BYTES:
        # Refused as too long by the form: rendering it for the preview would cost seconds.
        markdown = ""
    draft = draft_for(db.session, module.id, language)
    # The draft was started from an older version (a newer one was imported or published).
    stale_base = (
        draft is not None
        and module.current_version is not None
        and draft.base_version_id != module.current_version_id
    )
    warnings = [
        _("line %(line)d: %(message)s", line=w.line, message=_(w.template, **w.params))
        for w in markdown_warning_details(markdown)
    ]
    warnings += _remarks(module, language, markdown, form.title.data or "")
    pages = split_pages(markdown.replace("\r\n", "\n"), title=form.title.data or "")
    is_source = language == module.source_language
    origin = None if is_source else source_text(module)
    return (
        render_template(
            "content/authoring/editor.html",
            module=module,
            language=language,
            language_name=LANGUAGE_NAMES[language],
            is_source=is_source,
            source=origin,
            source_pages=source_pages(module, origin) if origin is not None else [],
            source_language_name=LANGUAGE_NAMES[module.source_language],
            form=form,
            upload_form=upload_form or UploadForm(formdata=None, language=language),
            preview_html=render_preview(markdown, module.id, language),
            warnings=warnings,
            pages=[(p.index + 1, render_title(p.title)) for p in pages],
            media=module_media(db.session, module.id),
            conflict=conflict,
            stale_base=stale_base,
            current_number=module.current_version.number if module.current_version else None,
        ),
        status,
    )


@bp.route("/modules/<int:module_id>/edit/<language>", methods=["GET", "POST"])
@roles_required(*AUTHORS)
def edit(module_id: int, language: str):
    """The editor of one language (fields, Markdown, live preview, media); POST saves."""
    module = module_or_404(module_id)
    language = language_or_404(language)
    if request.method == "POST":
        return _save(module, language)
    draft = draft_for(db.session, module.id, language)
    return _editor_page(module, language, draft_form(module, language, draft))


def _save(module: Module, language: str):
    """Save the draft, unless somebody else saved or published it meanwhile (409)."""
    module_id = module.id
    form = DraftForm()
    if not form.validate():
        return _editor_page(module, language, form, status=422)
    draft_id, lock_version = form.lock()
    is_source = language == module.source_language
    fields = DraftFields(
        title=form.title.data.strip(),
        summary=(form.summary.data or "").strip(),
        tags=parse_tags(form.tags.data or ""),
        minutes=form.minutes.data,
        markdown=(form.markdown.data or "").replace("\r\n", "\n"),
        valid_days=form.valid_days.data if is_source else None,
        revision=(form.revision.data or 1) if is_source else None,
        translates=None if is_source else (form.translates.data or 1),
    )
    try:
        save_draft(
            db.session,
            module,
            language,
            fields,
            draft_id=draft_id,
            lock_version=lock_version,
            actor=current_user,
            now=clock.now(),
        )
    except DraftConflict:
        db.session.rollback()
        return _conflict(module_id, language, form)
    db.session.commit()
    flash(_("The draft has been saved."), "success")
    return redirect(url_for(".edit", module_id=module_id, language=language), 303)


def _conflict(module_id: int, language: str, form: DraftForm):
    """Refuse a stale save: say who saved in between, keep the author's text, show the diff."""
    module = module_or_404(module_id)
    current = draft_for(db.session, module.id, language)
    if current is not None:
        who = current.updated_by.display_name if current.updated_by else _("somebody")
        message = _(
            "Your changes were not saved: %(name)s saved this text at %(time)s while you were "
            "editing. Your text is still below; compare it with theirs, then open the latest "
            "draft and make your changes again.",
            name=who,
            time=format_datetime(current.updated_at, "short"),
        )
        saved_text = current.markdown
    else:
        version = module.current_version
        who = (
            version.published_by.display_name
            if version is not None and version.published_by
            else _("somebody")
        )
        message = _(
            "Your changes were not saved: %(name)s published or discarded this draft while you "
            "were editing. Your text is still below; open the editor again and make your "
            "changes again.",
            name=who,
        )
        saved_text = ""
        if version is not None:
            saved_text = next((v.markdown for v in version.variants if v.language == language), "")
    conflict = {
        "message": message,
        "diff": line_diff(saved_text, (form.markdown.data or "").replace("\r\n", "\n")),
    }
    return _editor_page(module, language, form, status=409, conflict=conflict)


@bp.post("/modules/<int:module_id>/edit/<language>/discard")
@roles_required(*AUTHORS)
def discard(module_id: int, language: str):
    """Throw away one language's unpublished changes."""
    module = module_or_404(module_id)
    language = language_or_404(language)
    draft = draft_for(db.session, module.id, language)
    if draft is None:
        abort(404)
    if FlaskForm().validate_on_submit():
        try:
            discard_draft(db.session, draft)
        except DraftConflict:
            db.session.rollback()
            flash(_("Somebody saved this draft just now; it has not been discarded."), "error")
        else:
            db.session.commit()
            flash(_("The unpublished changes have been discarded."), "success")
    return redirect(url_for(".module", module_id=module.id), 303)


@bp.post("/modules/<int:module_id>/preview")
@roles_required(*AUTHORS)
def preview(module_id: int):
    """Live preview: the Markdown in, the sanitised HTML learners would see out (JSON)."""
    module = module_or_404(module_id)
    payload = request.get_json(silent=True) or {}
    if not isinstance(payload, dict):
        abort(400)
    markdown = payload.get("markdown", "")
    language = payload.get("language", module.source_language)
    if not isinstance(markdown, str) or len(markdown) > MAX_FILE_BYTES:
        abort(400)
    markdown = markdown.replace("\x00", "\ufffd")
    if language not in LANGUAGES:
        language = module.source_language
    warnings = [
        _("line %(line)d: %(message)s", line=w.line, message=_(w.template, **w.params))
        for w in markdown_warning_details(markdown)
    ]
    warnings += _remarks(module, language, markdown)
    return jsonify(html=render_preview(markdown, module.id, language), warnings=warnings)


@bp.get("/modules/<int:module_id>/edit/<language>/pages/<int:number>")
@roles_required(*AUTHORS)
def tablet_preview(module_id: int, language: str, number: int):
    """One page of the draft as a learner sees it, on a tablet-sized frame."""
    module = module_or_404(module_id)
    language = language_or_404(language)
    draft = draft_for(db.session, module.id, language)
    form = draft_form(module, language, draft)
    pages = split_pages((form.markdown.data or "").replace("\r\n", "\n"), title=form.title.data)
    if not 1 <= number <= len(pages):
        abort(404)
    page = pages[number - 1]
    return render_template(
        "content/authoring/tablet_preview.html",
        module=module,
        language=language,
        module_title=form.title.data,
        number=number,
        count=len(pages),
        page_title=render_title(page.title),
        page_html=render_preview(page.markdown, module.id, language, prefix=f"p{number}-"),
    )


@bp.post("/modules/<int:module_id>/media")
@roles_required(*AUTHORS)
def upload(module_id: int):
    """Upload an image, video or PDF and give the Markdown to insert.

    The editor's script asks for JSON and inserts the snippet at the cursor, so the unsaved
    text stays; without script the form posts normally and the editor page is shown again.
    """
    module = module_or_404(module_id)
    form = UploadForm()
    language = form.language.data if form.language.data in LANGUAGES else module.source_language
    as_json = wants_json()
    if form.validate_on_submit():
        try:
            media = upload_media(
                db.session,
                module,
                data=form.file.data.read(),
                filename=form.file.data.filename or "",
                limits=_upload_limits(),
                folder=media_folder(),
                now=clock.now(),
            )
        except MediaRefused as exc:
            db.session.rollback()
            form.file.errors = [*form.file.errors, str(exc)]
        else:
            db.session.commit()
            return _uploaded(module, media, language, as_json=as_json)
    if as_json:
        message = " ".join(str(error) for error in form.file.errors) or _(
            "The file could not be uploaded."
        )
        return json_error(422, message, field="file")
    draft = draft_for(db.session, module.id, language)
    return _editor_page(
        module, language, draft_form(module, language, draft), status=422, upload_form=form
    )


def _upload_limits() -> dict[str, int]:
    """The largest upload accepted for each kind of file, from the settings."""
    config = current_app.config
    return {
        "image": config["CONTENT_MAX_IMAGE_BYTES"],
        "video": config["CONTENT_MAX_VIDEO_BYTES"],
        "document": config["CONTENT_MAX_DOCUMENT_BYTES"],
    }


def _uploaded(module: Module, media: MediaFile, language: str, *, as_json: bool):
    """The answer to a stored upload: the snippet to insert (JSON), or back to the editor."""
    row = next((row for row in module_media(db.session, module.id) if row.id == media.id), None)
    snippet = row.snippet if row is not None else media.original_name
    if as_json:
        response = jsonify(
            snippet=snippet,
            path=media.original_name,
            size=media.size,
            message=_("The file has been uploaded and inserted into the text."),
        )
        response.status_code = 201
        return response
    flash(
        _(
            "The file has been uploaded. Paste this into the text: %(snippet)s",
            snippet=snippet,
        ),
        "success",
    )
    return redirect(url_for(".edit", module_id=module.id, language=language), 303)


def _remarks(module: Module, language: str, markdown: str, title: str = "") -> list[str]:
    """Other features' remarks on the draft (plain language), for the preview."""
    return [
        remark
        for remarks in EDITOR_REMARKS.receivers()
        for remark in remarks(module, language, markdown, title)
    ]
