"""Learning: catalogue, search, module page, reader, resume, summary, media; GET never writes."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select, text

from app.content.models import (
    MediaFile,
    Module,
    ModulePage,
    ModuleStatus,
    ModuleVariant,
    ReadingPosition,
)
from app.extensions import db
from app.people.models import Role
from app.platform.hooks import PAGE_READ
from app.timekeeping.clock import now
from tests.conftest import csrf_token_from, login_as
from tests.content.builders import (
    count,
    import_paths,
    module_text,
    tiny_pdf,
    tiny_png,
    write_module,
)
from tests.factories import make_org, make_user
from tests.query_count import statements_during


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_PATH"] = str(tmp_path / "uploads")
    return app_config


@pytest.fixture
def library(app, tmp_path):
    """Three published modules (one only in German) and a learner reading in English."""
    org = make_org()
    root = tmp_path / "lib"
    write_module(
        root,
        "tax-online",
        languages=("de", "en", "fr"),
        source_language="fr",
        tags=("impots", "mars"),
        pages=4,
        texts={
            "fr": module_text(
                "tax-online", "fr", title="Déclaration d'impôt en ligne", tags=("impots",), pages=4
            )
        },
    )
    write_module(
        root,
        "post-digital",
        languages=("de",),
        source_language="de",
        title="Digitaler Briefkasten",
        tags=("post",),
        body="## Vollmacht\n\nAngehörige erhalten eine Leseberechtigung.\n\n## Zwei\n\nText.\n",
    )
    write_module(
        root,
        "media-module",
        languages=("en",),
        source_language="en",
        title="Screens and guides",
        media={"media/screen.png": tiny_png(), "guide.pdf": tiny_pdf()},
        body="## One\n\n![The screen](media/screen.png)\n\n[Guide](guide.pdf)\n",
    )
    import_paths([root])
    learner = make_user(org.branch_a1, Role.LEARNER, language="en")
    # Only this test's listeners: the tracking feature tests its own.
    PAGE_READ.clear(app)
    return org, learner, root


def html_of(response) -> str:
    return response.get_data(as_text=True)


def test_catalogue_shows_published_modules_in_the_learners_language_with_fallback(
    app, client, library
):
    _org, learner, _root = library
    login_as(client, learner)
    page = html_of(client.get("/modules"))
    assert "Module tax-online (en)" in page  # the English variant, not the French source
    assert "Digitaler Briefkasten" in page
    assert "This module is not available in English yet; it is shown in German." in page
    assert page.count("is not available in English") == 1


def test_drafts_and_archived_modules_are_invisible_to_learners(app, client, library):
    org, learner, _root = library
    from app.content.operations import create_module

    trainer = make_user(org.branch_a1, Role.TRAINER, provider=org.provider)
    create_module(
        db.session,
        slug="secret-draft",
        provider=org.provider,
        source_language="en",
        title="Secret draft",
        actor=trainer,
        now=now(),
    )
    archived = db.session.scalar(select(Module).where(Module.slug == "post-digital"))
    archived.status = ModuleStatus.ARCHIVED
    db.session.commit()
    login_as(client, learner)
    listing = html_of(client.get("/modules"))
    assert "Secret draft" not in listing and "Digitaler Briefkasten" not in listing
    for slug in ("secret-draft", "post-digital", "no-such-module"):
        assert client.get(f"/modules/{slug}").status_code == 404
        assert client.get(f"/modules/{slug}/pages/1").status_code == 404
        assert client.get(f"/modules/{slug}/summary").status_code == 404
    assert "Digitaler Briefkasten" not in html_of(client.get("/modules?q=Briefkasten"))


@pytest.mark.parametrize(
    ("query", "found"),
    [
        ("Briefkasten", {"post-digital"}),  # a title word
        ("briefk", {"post-digital"}),  # part of a title word, any case
        ("mars", {"tax-online"}),  # a tag
        ("Leseberechtigung", {"post-digital"}),  # only in a page's text
        ("leseberechtigung angehörige", {"post-digital"}),  # every word must match
        ("angehorige", {"post-digital"}),  # accents do not matter
        ("screens guides", {"media-module"}),
        ("nothing-like-this", set()),
        ("\x00\x01 ' & | ! :* <>", {"tax-online", "post-digital", "media-module"}),
    ],
)
def test_search_by_title_tag_and_text(app, client, library, query, found):
    _org, learner, _root = library
    login_as(client, learner)
    page = html_of(client.get("/modules", query_string={"q": query}))
    slugs = set(re.findall(r'href="/modules/([a-z0-9-]+)[?"]', page))
    assert slugs == found


def test_search_uses_full_text_search_on_postgresql_and_like_on_sqlite(app, library):
    from app.content.search import match_clause

    dialect = db.engine.dialect.name
    clause = str(match_clause("impot", dialect).compile(dialect=db.engine.dialect))
    if dialect == "postgresql":
        # The query repeats the indexed expression, so the GIN index can serve it.
        assert "to_tsvector('simple', module_variants.search_text) @@ to_tsquery(" in clause
        index = db.session.execute(
            text("SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_module_variants_search'")
        ).scalar()
        assert index is not None and "USING gin" in index and "to_tsvector" in index
        # With sequential scans priced out, the planner must be able to use the GIN index.
        query = select(ModuleVariant.id).where(match_clause("guich impot", dialect))
        sql = str(query.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
        with db.engine.connect() as connection:
            connection.execute(text("SET enable_seqscan = off"))
            plan = "\n".join(connection.execute(text(f"EXPLAIN {sql}")).scalars())
        assert "ix_module_variants_search" in plan, plan
    else:
        assert "LIKE" in clause


def test_module_page_offers_start_then_resume(app, client, library):
    _org, learner, _root = library
    login_as(client, learner)
    page = html_of(client.get("/modules/tax-online"))
    assert 'href="/modules/tax-online/pages/1"' in page and ">Start<" in page
    reader = html_of(client.get("/modules/tax-online/pages/1"))
    token = csrf_token_from(reader)
    version_id = re.search(r'name="version_id" value="(\d+)"', reader).group(1)
    response = client.post(
        "/modules/tax-online/pages/1/done",
        data={"csrf_token": token, "version_id": version_id, "language": "en"},
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/modules/tax-online/pages/2")
    client.post(
        "/modules/tax-online/pages/2/done",
        data={"csrf_token": token, "version_id": version_id, "language": "en"},
    )
    page = html_of(client.get("/modules/tax-online"))
    assert "Resume on page 3" in page
    assert 'href="/modules/tax-online/pages/3"' in page
    home = html_of(client.get("/home"))
    assert "Continue reading" in home and "/modules/tax-online/pages/3?lang=en" in home


def test_the_last_page_finishes_and_page_view_listeners_run_in_the_same_transaction(
    app, client, library
):
    _org, learner, _root = library
    seen = []

    def listener(session, read):
        page = db.session.get(ModulePage, read.page_id)
        seen.append((read.user_id, page.position, page.title, read.at.tzinfo is not None))
        assert session is db.session

    PAGE_READ.connect(app, listener)
    login_as(client, learner)
    reader = html_of(client.get("/modules/post-digital/pages/2"))
    assert "Finish" in reader
    response = client.post(
        "/modules/post-digital/pages/2/done",
        data={
            "csrf_token": csrf_token_from(reader),
            "version_id": re.search(r'name="version_id" value="(\d+)"', reader).group(1),
            "language": "de",
        },
    )
    assert response.status_code == 303
    assert response.headers["Location"].endswith("/modules/post-digital?lang=de")
    assert seen == [(learner.id, 1, "Zwei", True)]
    position = db.session.scalar(select(ReadingPosition))
    assert (position.position, position.language) == (1, "de")


def test_a_page_view_of_another_modules_version_is_refused(app, client, library):
    _org, learner, _root = library
    login_as(client, learner)
    reader = html_of(client.get("/modules/post-digital/pages/1"))
    other_version = re.search(
        r'name="version_id" value="(\d+)"', html_of(client.get("/modules/tax-online/pages/1"))
    ).group(1)
    response = client.post(
        "/modules/post-digital/pages/1/done",
        data={"csrf_token": csrf_token_from(reader), "version_id": other_version, "language": "de"},
    )
    assert response.status_code == 404
    assert count(ReadingPosition) == 0


def test_reader_shows_progress_navigation_and_other_languages(app, client, library):
    _org, learner, _root = library
    login_as(client, learner)
    page = html_of(client.get("/modules/tax-online/pages/2"))
    assert '<progress id="reader-progress" max="4" value="2">' in page
    assert '<label for="reader-progress">Page 2 of 4</label>' in page
    assert 'rel="prev" href="/modules/tax-online/pages/1"' in page
    assert 'src="/static/js/content-reader.js" defer' in page
    assert 'hreflang="fr"' in page and 'hreflang="de"' in page
    french = html_of(client.get("/modules/tax-online/pages/2?lang=fr"))
    assert 'lang="fr"' in french and "Déclaration d&#39;impôt en ligne" in french
    assert client.get("/modules/tax-online/pages/5").status_code == 404
    assert client.get("/modules/tax-online/pages/0").status_code == 404


def test_reader_issues_a_fixed_number_of_statements_and_never_writes(app, client, library):
    _org, learner, root = library
    write_module(root, "long-module", languages=("en",), source_language="en", pages=25)
    import_paths([root])
    login_as(client, learner)
    counts = {}
    for slug in ("post-digital", "long-module"):
        client.get(f"/modules/{slug}/pages/2")  # warm up (first request per client)
        with statements_during(app) as seen:
            assert client.get(f"/modules/{slug}/pages/2").status_code == 200
        counts[slug] = len(seen)
        writes = [
            s for s in seen if s.lstrip().split()[0].upper() in {"INSERT", "UPDATE", "DELETE"}
        ]
        assert writes == [], writes
    assert counts["post-digital"] == counts["long-module"], counts
    print(f"SQL statements per reader page: {counts['long-module']}")
    assert counts["long-module"] <= 8


def test_learner_pages_never_run_the_markdown_renderer(app, client, library, monkeypatch):
    import markdown

    _org, learner, _root = library
    login_as(client, learner)

    def refuse(*args, **kwargs):
        raise AssertionError("Markdown rendered during a learner request")

    monkeypatch.setattr(markdown.Markdown, "convert", refuse)
    for url in (
        "/modules",
        "/modules?q=impot",
        "/modules/tax-online",
        "/modules/tax-online/pages/3",
        "/modules/tax-online/summary",
    ):
        assert client.get(url).status_code == 200, url


def test_printable_summary_has_key_points_and_print_styles(app, client, tmp_path):
    org = make_org()
    write_module(
        tmp_path,
        "counter",
        languages=("en",),
        source_language="en",
        body=(
            "## Before\n\nSome text.\n\n> [!SAY]\n> You will get a code.\n\n"
            "## Steps\n\n```steps\nOpen the site\nClick Log in\n```\n"
        ),
    )
    import_paths([tmp_path])
    login_as(client, make_user(org.branch_a1, language="en"))
    page = html_of(client.get("/modules/counter/summary"))
    assert "<h3>Before</h3>" in page and "You will get a code." in page
    assert '<ol class="steps">' in page and "Click Log in" in page
    assert "Some text." not in page
    assert "css/content.css" in page


def test_media_headers_inline_only_for_images_and_videos(app, client, library):
    _org, learner, _root = library
    login_as(client, learner)
    media = {m.original_name: m for m in db.session.scalars(select(MediaFile))}
    png = client.get(f"/media/{media['media/screen.png'].id}/screen.png")
    assert png.status_code == 200
    assert png.headers["Content-Type"] == "image/png"
    assert png.headers["Content-Disposition"] == "inline"
    assert png.headers["X-Content-Type-Options"] == "nosniff"
    assert png.headers["Content-Security-Policy"] == "sandbox"
    assert png.data == tiny_png()
    pdf = client.get(f"/media/{media['guide.pdf'].id}/guide.pdf")
    assert pdf.headers["Content-Type"] == "application/pdf"
    assert pdf.headers["Content-Disposition"].startswith("attachment")
    assert pdf.headers["Content-Security-Policy"] == "sandbox"
    assert client.get("/media/999999/x.png").status_code == 404


def test_media_of_an_archived_module_is_not_served_to_learners(app, client, library):
    _org, learner, _root = library
    module = db.session.scalar(select(Module).where(Module.slug == "media-module"))
    module.status = ModuleStatus.ARCHIVED
    db.session.commit()
    media = db.session.scalars(select(MediaFile)).first()
    login_as(client, learner)
    assert client.get(f"/media/{media.id}/screen.png").status_code == 404
