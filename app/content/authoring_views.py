"""Authoring for trainers (their provider's modules) and admins: edit, preview, publish, history."""

from __future__ import annotations

import re
from dataclasses import dataclass

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import format_datetime
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm
from wtforms.fields.choices import SelectChoice

from app.content.authoring_queries import (
    authoring_modules,
    draft_for,
    drafts_of,
    editable_providers,
    latest_media_by_path,
    module_for_editor,
    module_media,
)
from app.content.diff import line_diff
from app.content.forms import DraftForm, NewModuleForm, PublishForm, UploadForm, parse_tags
from app.content.markdown_warnings import markdown_warning_details
from app.content.media_files import MediaRefused, media_folder, media_href, upload_media
from app.content.models import Module, ModuleDraft, ModuleVariant
from app.content.module_format import MAX_FILE_BYTES, split_pages
from app.content.operations import (
    ContentError,
    DraftConflict,
    DraftFields,
    create_module,
    discard_draft,
    save_draft,
    set_archived,
)
from app.content.publishing import PublishRefused, publish_drafts
from app.content.rendering import render_markdown, render_title
from app.content.version_queries import version_diff, version_history
from app.content.versions import callout_labels
from app.content.views import LANGUAGE_LABELS
from app.extensions import db
from app.i18n.languages import LANGUAGES
from app.people.forms import LANGUAGE_NAMES
from app.people.models import Provider, Role
from app.permissions import Action, ensure, roles_required
from app.plain_language.editor_preview import editor_remarks as plain_language_remarks
from app.timekeeping import clock
from app.web.errors import json_error, wants_json
from app.web.problems import Problem

bp = Blueprint("authoring", __name__, url_prefix="/authoring")

AUTHORS = (Role.TRAINER, Role.ADMIN)
# A translation skeleton beyond this many pages would only be noise in the text box.
MAX_SKELETON_PAGES = 200


def _module_or_404(module_id: int) -> Module:
    """Load a module the current user may edit; anything else is a 404."""
    module = module_for_editor(db.session, module_id)
    ensure(Action.EDIT_CONTENT, module)
    assert module is not None
    return module


def _language_or_404(language: str) -> str:
    if language not in LANGUAGES:
        abort(404)
    return language


def _media_urls(module_id: int) -> dict[str, str]:
    return {path: media_href(m) for path, m in latest_media_by_path(db.session, module_id).items()}


def _render(markdown: str, module_id: int, language: str, prefix: str = "") -> str:
    urls = _media_urls(module_id)
    return render_markdown(
        markdown, media_url=urls.get, labels=callout_labels(language), footnote_prefix=prefix
    )


def _problem_text(problem: Problem, body_lines: dict[str, int]) -> str:
    """A publishing problem for the trainer: the language, and the line in the text box."""
    message = _(problem.template, **problem.params) if problem.template else problem.message
    match = re.match(r"^index\.([a-z]{2})\.md$", problem.file)
    if match is None or match.group(1) not in LANGUAGE_NAMES:
        return message
    language = str(LANGUAGE_LABELS[match.group(1)])
    body_line = body_lines.get(problem.file)
    if body_line is not None and problem.line >= body_line:
        return _(
            "%(language)s, line %(line)d of the text: %(message)s",
            language=language,
            line=problem.line - body_line + 1,
            message=message,
        )
    return _("%(language)s: %(message)s", language=language, message=message)


@bp.get("/modules")
@roles_required(*AUTHORS)
def modules():
    """The modules of the trainer's providers (all of them for admins)."""
    return render_template(
        "content/authoring/modules.html", rows=authoring_modules(db.session, current_user)
    )


@bp.route("/modules/new", methods=["GET", "POST"])
@roles_required(*AUTHORS)
def new_module():
    """Start a new module: id, provider, source language and title."""
    form = NewModuleForm()
    form.provider.choices = [
        SelectChoice(*provider) for provider in editable_providers(db.session, current_user)
    ]
    if not form.provider.choices:
        flash(_("You are not a trainer of any content provider."), "error")
        return redirect(url_for(".modules"))
    if form.validate_on_submit():
        provider = db.session.get(Provider, form.provider.data)
        ensure(Action.EDIT_CONTENT, provider.id if provider else None)
        try:
            module = create_module(
                db.session,
                slug=form.slug.data,
                provider=provider,
                source_language=form.source_language.data,
                title=form.title.data.strip(),
                actor=current_user,
                now=clock.now(),
            )
        except ContentError as exc:
            db.session.rollback()
            form.slug.errors = [*form.slug.errors, str(exc)]
        else:
            db.session.commit()
            flash(_("The module has been created. Write its first pages."), "success")
            return redirect(url_for(".edit", module_id=module.id, language=module.source_language))
    return render_template("content/authoring/new.html", form=form)


@bp.get("/modules/<int:module_id>")
@roles_required(*AUTHORS)
def module(module_id: int):
    """A module's languages, drafts, publishing and archiving."""
    return _module_page_with(_module_or_404(module_id), PublishForm(formdata=None), [], 200)


def _draft_form(module: Module, language: str, draft: ModuleDraft | None) -> DraftForm:
    """The editor form filled from the draft, else the published variant, else empty."""
    form = DraftForm(formdata=None)
    variant: ModuleVariant | None = None
    if module.current_version is not None:
        variant = next((v for v in module.current_version.variants if v.language == language), None)
    source = draft or variant
    if source is not None:
        form.title.data = source.title
        form.summary.data = source.summary
        form.tags.data = ", ".join(source.tags or [])
        form.minutes.data = source.minutes
        form.revision.data = source.revision
        form.translates.data = source.translates
        form.markdown.data = source.markdown
    else:
        form.minutes.data = 5
        form.revision.data = 1
        form.translates.data = _source_revision(module)
        origin = _source_text(module) if language != module.source_language else None
        if origin is not None:
            # A new translation starts from the source's pages, so its structure matches.
            form.minutes.data = origin.minutes
            form.markdown.data = translation_skeleton(origin.markdown, origin.title)
    if draft is not None:
        form.valid_days.data = draft.valid_days
        form.draft_id.data = str(draft.id)
        form.lock_version.data = str(draft.lock_version)
    else:
        form.valid_days.data = module.current_version.valid_days if module.current_version else None
        form.draft_id.data = "0"
        form.lock_version.data = "0"
    return form


def _source_revision(module: Module) -> int:
    draft = draft_for(db.session, module.id, module.source_language)
    if draft is not None and draft.revision:
        return draft.revision
    if module.current_version is not None:
        for variant in module.current_version.variants:
            if variant.language == module.source_language:
                return variant.revision or 1
    return 1


@dataclass(frozen=True)
class SourcePage:
    """One page of the source language, as the translator sees it beside the editor."""

    number: int
    title: str
    html: str
    markdown: str


@dataclass(frozen=True)
class SourceText:
    """The source language's current text: its unpublished draft, else the published one."""

    language: str
    title: str
    summary: str
    minutes: int
    markdown: str
    is_draft: bool


def _source_text(module: Module) -> SourceText | None:
    draft = draft_for(db.session, module.id, module.source_language)
    origin: ModuleDraft | ModuleVariant | None = draft
    if origin is None and module.current_version is not None:
        origin = next(
            (v for v in module.current_version.variants if v.language == module.source_language),
            None,
        )
    if origin is None:
        return None
    return SourceText(
        language=module.source_language,
        title=origin.title,
        summary=origin.summary or "",
        minutes=origin.minutes,
        markdown=(origin.markdown or "").replace("\r\n", "\n"),
        is_draft=draft is not None,
    )


def translation_skeleton(markdown: str, title: str) -> str:
    """The source's page headings with empty pages between them: where a translation starts."""
    pages = split_pages(markdown, title=title)[:MAX_SKELETON_PAGES]
    # The introduction (text before the first heading) has no heading line of its own.
    headings = [page.title for page in pages if page.start_line != page.markdown_line]
    return "".join(f"## {heading}\n\n\n" for heading in headings)


def _source_pages(module: Module, origin: SourceText) -> list[SourcePage]:
    pages = split_pages(origin.markdown, title=origin.title)
    return [
        SourcePage(
            number=page.index + 1,
            title=render_title(page.title),
            html=_render(page.markdown, module.id, origin.language, prefix=f"src{page.index + 1}-"),
            markdown=page.markdown,
        )
        for page in pages
    ]


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
    warnings += plain_language_remarks(module, language, markdown, form.title.data or "")
    pages = split_pages(markdown.replace("\r\n", "\n"), title=form.title.data or "")
    is_source = language == module.source_language
    origin = None if is_source else _source_text(module)
    return (
        render_template(
            "content/authoring/editor.html",
            module=module,
            language=language,
            language_name=LANGUAGE_NAMES[language],
            is_source=is_source,
            source=origin,
            source_pages=_source_pages(module, origin) if origin is not None else [],
            source_language_name=LANGUAGE_NAMES[module.source_language],
            form=form,
            upload_form=upload_form or UploadForm(formdata=None, language=language),
            preview_html=_render(markdown, module.id, language),
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
    module = _module_or_404(module_id)
    language = _language_or_404(language)
    if request.method == "POST":
        return _save(module, language)
    draft = draft_for(db.session, module.id, language)
    return _editor_page(module, language, _draft_form(module, language, draft))


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
    module = _module_or_404(module_id)
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
    module = _module_or_404(module_id)
    language = _language_or_404(language)
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
    module = _module_or_404(module_id)
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
    warnings += plain_language_remarks(module, language, markdown)
    return jsonify(html=_render(markdown, module.id, language), warnings=warnings)


@bp.get("/modules/<int:module_id>/edit/<language>/pages/<int:number>")
@roles_required(*AUTHORS)
def tablet_preview(module_id: int, language: str, number: int):
    """One page of the draft as a learner sees it, on a tablet-sized frame."""
    module = _module_or_404(module_id)
    language = _language_or_404(language)
    draft = draft_for(db.session, module.id, language)
    form = _draft_form(module, language, draft)
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
        page_html=_render(page.markdown, module.id, language, prefix=f"p{number}-"),
    )


@bp.post("/modules/<int:module_id>/media")
@roles_required(*AUTHORS)
def upload(module_id: int):
    """Upload an image, video or PDF and give the Markdown to insert.

    The editor's script asks for JSON and inserts the snippet at the cursor, so the unsaved
    text stays; without script the form posts normally and the editor page is shown again.
    """
    module = _module_or_404(module_id)
    form = UploadForm()
    language = form.language.data if form.language.data in LANGUAGES else module.source_language
    as_json = wants_json()
    if form.validate_on_submit():
        data = form.file.data.read()
        config = current_app.config
        limits = {
            "image": config["CONTENT_MAX_IMAGE_BYTES"],
            "video": config["CONTENT_MAX_VIDEO_BYTES"],
            "document": config["CONTENT_MAX_DOCUMENT_BYTES"],
        }
        try:
            media = upload_media(
                db.session,
                module,
                data=data,
                filename=form.file.data.filename or "",
                limits=limits,
                folder=media_folder(),
                now=clock.now(),
            )
        except MediaRefused as exc:
            db.session.rollback()
            form.file.errors = [*form.file.errors, str(exc)]
        else:
            db.session.commit()
            row = next(
                (row for row in module_media(db.session, module.id) if row.id == media.id), None
            )
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
    if as_json:
        message = " ".join(str(error) for error in form.file.errors) or _(
            "The file could not be uploaded."
        )
        return json_error(422, message, field="file")
    draft = draft_for(db.session, module.id, language)
    return _editor_page(
        module, language, _draft_form(module, language, draft), status=422, upload_form=form
    )


@bp.post("/modules/<int:module_id>/publish")
@roles_required(*AUTHORS)
def publish(module_id: int):
    """Publish the drafts as a new immutable version (pages are rendered now, once)."""
    module = _module_or_404(module_id)
    form = PublishForm()
    if form.validate_on_submit():
        try:
            version = publish_drafts(
                db.session,
                module,
                change_note=form.change_note.data.strip(),
                is_major=form.change_kind.data == "major",
                actor=current_user,
                now=clock.now(),
            )
        except PublishRefused as refused:
            db.session.rollback()
            module = _module_or_404(module_id)
            problems = [_problem_text(p, refused.body_lines) for p in refused.problems] or [
                str(refused)
            ]
            return _module_page_with(module, form, problems, 422)
        db.session.commit()
        flash(_("Version %(number)d has been published.", number=version.number), "success")
        return redirect(url_for(".module", module_id=module.id), 303)
    return _module_page_with(module, form, [], 422)


def _module_page_with(module: Module, form: PublishForm, problems: list[str], status: int):
    drafts = drafts_of(db.session, module.id)
    published = (
        {v.language: v for v in module.current_version.variants} if module.current_version else {}
    )
    languages = [
        {
            "code": code,
            "name": LANGUAGE_NAMES[code],
            "draft": drafts.get(code),
            "variant": published.get(code),
            "is_source": code == module.source_language,
        }
        for code in LANGUAGES
    ]
    title = published.get(module.source_language) or drafts.get(module.source_language)
    return (
        render_template(
            "content/authoring/module.html",
            module=module,
            title=title.title if title else module.slug,
            languages=languages,
            has_drafts=bool(drafts),
            publish_form=form,
            form=FlaskForm(),
            problems=problems,
        ),
        status,
    )


@bp.post("/modules/<int:module_id>/archive")
@roles_required(*AUTHORS)
def archive(module_id: int):
    """Withdraw the module from learners (its versions are kept)."""
    module = _module_or_404(module_id)
    if FlaskForm().validate_on_submit():
        set_archived(db.session, module, archived=True, now=clock.now(), actor=current_user)
        db.session.commit()
        flash(_("The module has been archived: learners no longer see it."), "success")
    return redirect(url_for(".module", module_id=module.id), 303)


@bp.post("/modules/<int:module_id>/unarchive")
@roles_required(*AUTHORS)
def unarchive(module_id: int):
    """Bring an archived module back."""
    module = _module_or_404(module_id)
    if FlaskForm().validate_on_submit():
        set_archived(db.session, module, archived=False, now=clock.now(), actor=current_user)
        db.session.commit()
        flash(_("The module is back in the catalogue."), "success")
    return redirect(url_for(".module", module_id=module.id), 303)


@bp.get("/modules/<int:module_id>/versions")
@roles_required(*AUTHORS)
def versions(module_id: int):
    """Every version of the module, with a form to compare two of them."""
    module = _module_or_404(module_id)
    rows = version_history(db.session, module)
    return render_template(
        "content/authoring/versions.html",
        module=module,
        rows=rows,
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
    )


@bp.get("/modules/<int:module_id>/diff")
@roles_required(*AUTHORS)
def diff(module_id: int):
    """A readable diff of one language between two versions."""
    module = _module_or_404(module_id)
    try:
        old = int(request.args.get("old", ""))
        new = int(request.args.get("new", ""))
    except ValueError:
        abort(404)
    language = _language_or_404(request.args.get("lang", module.source_language))
    result = version_diff(db.session, module, old, new, language)
    if result is None:
        abort(404)
    return render_template(
        "content/authoring/diff.html",
        module=module,
        diff=result,
        language_name=LANGUAGE_NAMES[language],
        rows=version_history(db.session, module),
        languages=[(code, LANGUAGE_NAMES[code]) for code in LANGUAGES],
    )
