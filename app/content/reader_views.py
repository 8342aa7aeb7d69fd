"""Learning: the catalogue, a module's page, the reader, the printable summary, media files."""

from __future__ import annotations

from pathlib import Path

from flask import (
    Blueprint,
    abort,
    flash,
    redirect,
    render_template,
    request,
    send_file,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user
from flask_wtf import FlaskForm

from app.content.catalogue import paged_catalogue
from app.content.media_files import media_folder, media_for_learner
from app.content.models import MediaFile
from app.content.module_quizzes import quiz_slugs
from app.content.queries import (
    module_overview,
    printable_summary,
    reader_page,
)
from app.content.reading import page_to_record, record_page_view
from app.content.search import MAX_QUERY_LENGTH
from app.content.translation_notes import stale_translation
from app.extensions import db
from app.i18n.languages import LANGUAGES
from app.i18n.request_language import select_language
from app.permissions import Action, may, signed_in
from app.platform.hooks import PAGE_READ, READER_PANELS
from app.timekeeping import clock

bp = Blueprint("content", __name__)

# Served inline only when a browser shows them as media; never SVG or HTML (they can run script).
INLINE_TYPES = frozenset(
    {"image/png", "image/jpeg", "image/gif", "image/webp", "video/mp4", "video/webm"}
)


# Cards per catalogue page: about 10 KB of HTML.
CATALOGUE_PAGE_SIZE = 24


def _requested_language() -> str | None:
    lang = request.args.get("lang")
    return lang if lang in LANGUAGES else None


def _module_quiz_slug(module_id: int) -> str | None:
    """The slug of the quiz that ends the module, if it has one."""
    return quiz_slugs(db.session, [module_id]).get(module_id)


def _language_notes(shown: str, source_language: str, is_outdated: bool) -> dict:
    """What the page says about its language: the language asked for (the `?lang=` one, else
    the interface's) and whether the one shown is an out-of-date translation."""
    return {
        "wanted": _requested_language() or select_language(),
        "stale": stale_translation(
            language=shown, source_language=source_language, is_outdated=is_outdated
        ),
    }


@bp.get("/modules")
@signed_in
def catalogue_page():
    """List the published modules in the learner's language; search by title, tag and text."""
    search = request.args.get("q", "")[:MAX_QUERY_LENGTH]
    language = select_language()
    # A page of cards, not the whole library: the HTML, its rendering and the rows read stay
    # small (issue 14).
    shown, page = paged_catalogue(
        db.session,
        language=language,
        search=search,
        page=request.args.get("page", 1, type=int) or 1,
        per_page=CATALOGUE_PAGE_SIZE,
    )
    return render_template(
        "content/catalogue.html",
        rows=shown.rows,
        total=shown.total,
        page=page,
        pages=max(1, -(-shown.total // CATALOGUE_PAGE_SIZE)),
        search=search,
        language=language,
    )


@bp.get("/modules/<slug>")
@signed_in
def module_page(slug: str):
    """A module's summary, its pages and a start or resume button."""
    overview = module_overview(
        db.session,
        slug,
        language=select_language(),
        user_id=current_user.id,
        requested=_requested_language(),
    )
    if overview is None:
        abort(404)
    return render_template(
        "content/module.html",
        module=overview,
        language=select_language(),
        quiz_slug=_module_quiz_slug(overview.module_id),
        **_language_notes(overview.language, overview.source_language, overview.is_outdated),
    )


@bp.get("/modules/<slug>/pages/<int:number>")
@signed_in
def reader(slug: str, number: int):
    """One page of a module. Reading only: the position is recorded by the Next button's POST."""
    page = reader_page(
        db.session, slug, number, language=select_language(), requested=_requested_language()
    )
    if page is None:
        abort(404)
    panels = [panel for add in READER_PANELS.receivers() if (panel := add(page)) is not None]
    return render_template(
        "content/reader.html",
        page=page,
        panels=panels,
        form=FlaskForm(),
        lang_arg=_requested_language(),
        language=select_language(),
        **_language_notes(page.language, page.source_language, page.is_outdated),
    )


@bp.post("/modules/<slug>/pages/<int:number>/done")
@signed_in
def page_done(slug: str, number: int):
    """Record that the learner read this page and move on (post/redirect/get)."""
    form = FlaskForm()
    try:
        version_id: int | None = int(request.form.get("version_id", ""))
    except ValueError:
        version_id = None
    language = request.form.get("language", "")
    found = page_to_record(db.session, slug, version_id or 0, language, number)
    if found.module is None or not form.validate_on_submit():
        abort(404 if found.module is None else 400)
    if version_id is None:
        abort(400)
    if found.page is None:
        abort(404)
    # Read before the commit, which would expire the signed-in user and load it again.
    lang_arg = language if language != select_language() else None
    quiz_slug = _module_quiz_slug(found.module.id) if number >= found.count else None
    record_page_view(
        db.session,
        current_user,
        found.module,
        found.page,
        version_id=version_id,
        language=language,
        resume_at=min(number, found.count - 1),
        now=clock.now(),
        listeners=PAGE_READ.receivers(),
    )
    db.session.commit()
    if number < found.count:
        return redirect(url_for(".reader", slug=slug, number=number + 1, lang=lang_arg), 303)
    if quiz_slug is not None:
        # The end of a module leads on to its quiz (the quiz page says where the learner stands).
        flash(_("You have read every page of this module. Now check what you learnt."), "success")
        return redirect(url_for("assessment.quiz_start", quiz_slug=quiz_slug), 303)
    flash(_("You have read every page of this module."), "success")
    return redirect(url_for(".module_page", slug=slug, lang=lang_arg), 303)


@bp.get("/modules/<slug>/summary")
@signed_in
def summary(slug: str):
    """A printable one-page summary: the key points (call-outs and steps) of every page."""
    summary = printable_summary(
        db.session, slug, language=select_language(), requested=_requested_language()
    )
    if summary is None:
        abort(404)
    return render_template("content/summary.html", summary=summary)


@bp.get("/media/<int:media_id>/<name>")
@signed_in
def media(media_id: int, name: str):
    """Send a module's media file: trainers of its provider, or learners of a published module."""
    item = db.session.get(MediaFile, media_id)
    if item is None:
        abort(404)
    if not may(current_user, Action.EDIT_CONTENT, item.module):
        item = media_for_learner(db.session, media_id)
        if item is None:
            abort(404)
    path = media_folder() / item.stored_name
    if not path.is_file():
        abort(404)
    inline = item.mime in INLINE_TYPES
    response = send_file(
        path,
        mimetype=item.mime,
        as_attachment=not inline,
        download_name=Path(item.original_name).name,
        conditional=True,
        max_age=0,
    )
    if inline:
        response.headers["Content-Disposition"] = "inline"
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Security-Policy"] = "sandbox"
    response.headers["Cross-Origin-Resource-Policy"] = "same-origin"
    return response
