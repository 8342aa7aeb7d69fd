"""Module files: pages, every front-matter problem at its real line, stable hashes, round trip."""

from __future__ import annotations

import os
import re
import shutil
from pathlib import Path

import markdown
import pytest

from app.content.module_folder import load_module_folder, read_module_folder, write_module_folder
from app.content.module_format import (
    MAX_PAGES,
    ModuleFormatError,
    PageSource,
    format_variant,
    split_pages,
)
from app.content.variant_file import parse_variant_text, read_variant_file
from app.web.problems import ERROR, WARNING, Problem, has_errors

REPO = Path(__file__).resolve().parents[2]
PICTURE_TYPES = "png, jpg, gif, webp, mp4, webm"
NOT_ALLOWED = "this file type is not allowed (only png, jpg, gif, webp, mp4, webm, pdf)"
GOOD = REPO / "tests/fixtures/courses_good"
PNG = (GOOD / "eid-login/media/login.png").read_bytes()

SOURCE_FRONT = """\
id: tax-2027
title: Tax declaration 2027
summary: Help citizens file the tax declaration online.
language: en
source_language: en
revision: 1
provider: ju-it
minutes: 10"""

TRANSLATION_FRONT = """\
id: tax-2027
title: Déclaration d'impôt 2027
summary: Aider à remplir la déclaration en ligne.
language: fr
source_language: en
translates: 1
provider: ju-it
minutes: 10"""

BODY = "Intro text.\n\n## First page\n\nSome text.\n"


def module_text(front: str = SOURCE_FRONT, body: str = BODY) -> str:
    return f"---\n{front}\n---\n\n{body}"


def parse(text: str, **options):
    options.setdefault("path", "courses/tax-2027/index.en.md")
    return parse_variant_text(text, **options)


def errors_of(text: str, **options) -> list[tuple[int, str]]:
    _, problems = parse(text, **options)
    return [(p.line, p.message) for p in problems if p.severity == ERROR]


# --- Pages ---------------------------------------------------------------------------------------


def test_intro_page_and_level_two_pages() -> None:
    body = (
        "Intro line.\n\n## Before you start\n\nText one.\n\n### Detail\n\nMore.\n\n"
        "## Signing in\nText two.\n"
    )
    pages = split_pages(body, title="Module title", first_line=10)
    assert pages == [
        PageSource(0, "Module title", "Intro line.", 10, 10),
        PageSource(1, "Before you start", "Text one.\n\n### Detail\n\nMore.", 12, 14),
        PageSource(2, "Signing in", "Text two.", 20, 21),
    ]
    assert pages[1].file_line(3) == 16


def test_no_intro_page_when_the_body_starts_with_a_page() -> None:
    pages = split_pages("## Only page\n\nText.", title="T")
    assert [(p.index, p.title, p.start_line) for p in pages] == [(0, "Only page", 1)]


def test_code_fences_containing_level_two_headings_do_not_split() -> None:
    body = (
        "## Page one\n\n```markdown\n## not a page\n```\n\n~~~~\n## not a page either\n"
        "```\n## nor this\n~~~~\n\n## Page two\n\nEnd."
    )
    pages = split_pages(body, title="T")
    assert [p.title for p in pages] == ["Page one", "Page two"]
    assert "## not a page" in pages[0].markdown
    assert "## nor this" in pages[0].markdown


def test_steps_fences_do_not_split_either() -> None:
    pages = split_pages("## One\n\n```steps\n## Click here\n```\n", title="T")
    assert len(pages) == 1


def test_heading_title_details() -> None:
    pages = split_pages(
        "## Closing hashes ##\nx\n##No space\nx\n## C\\#\nx\n###### deep\n", title="T"
    )
    assert [p.title for p in pages] == ["Closing hashes", "No space", "C\\#"]


@pytest.mark.parametrize(
    "body",
    [
        "Intro\n\n## A\n\ntext\n\n### B\n\n## C\n\nx",
        "## A\n\n```\n## code\n```\n\n## B\n\ny",
        "## A\n\n```\nunclosed\n\n## B\n\nz",
        "   ## indented\n\n## A\n\n    ## code block\n\ntext\n## B",
        "## A\ntext\n##B\nx\n- item\n## C\n> quote\n## D",
        "## A\n\n~~~steps\nx\n~~~\n## B",
        "## A\n```{.python}\n## in code\n```\n## B",
    ],
)
def test_pages_split_exactly_where_python_markdown_sees_level_two_headings(body: str) -> None:
    rendered = markdown.markdown(body, extensions=["fenced_code"])
    headed = [p for p in split_pages(body, title="T") if p.start_line != p.markdown_line]
    assert len(headed) == rendered.count("<h2>")


# --- Front matter --------------------------------------------------------------------------------


def test_a_valid_source_file() -> None:
    variant, problems = parse(module_text(), expected_language="en", expected_id="tax-2027")
    assert problems == []
    assert variant is not None
    assert (variant.id, variant.language, variant.source_language) == ("tax-2027", "en", "en")
    assert (variant.title, variant.provider, variant.minutes) == (
        "Tax declaration 2027",
        "ju-it",
        10,
    )
    assert (variant.revision, variant.translates, variant.refresher_of) == (1, None, None)
    assert (variant.tags, variant.version_note, variant.valid_days) == ([], "", None)
    assert variant.body_markdown == BODY
    assert [p.title for p in variant.pages] == ["Tax declaration 2027", "First page"]
    assert variant.pages[1].start_line == 14
    assert variant.is_source
    assert variant.line_of("minutes") == 9
    assert re.fullmatch(r"[0-9a-f]{64}", variant.content_hash)


def test_a_valid_translation() -> None:
    variant, problems = parse(module_text(TRANSLATION_FRONT), path="x/tax-2027/index.fr.md")
    assert problems == []
    assert variant is not None and variant.translates == 1 and not variant.is_source


def test_all_optional_keys() -> None:
    front = SOURCE_FRONT + (
        "\ntags:\n  - tax\n  - online\nversion_note: New deadline.\nvalid_days: 365\n"
        "refresher_of: tax-basics"
    )
    variant, problems = parse(module_text(front))
    assert problems == []
    assert variant is not None
    assert variant.tags == ["tax", "online"]
    assert (variant.version_note, variant.valid_days, variant.refresher_of) == (
        "New deadline.",
        365,
        "tax-basics",
    )


def with_line(front: str, line_no: int, new: str) -> str:
    """Replace front-matter line `line_no` (counted in the file: the opening --- is line 1)."""
    lines = front.split("\n")
    lines[line_no - 2] = new
    return "\n".join(lines)


def without(front: str, key: str) -> str:
    return "\n".join(line for line in front.split("\n") if not line.startswith(f"{key}:"))


# Each case: the text of the file and the (line, message) of the one error expected. In
# SOURCE_FRONT the opening --- is line 1, `id` line 2, ..., `minutes` line 9, closing --- line 10.
FRONT_MATTER_ERRORS = {
    "no front matter": (
        "Just text.\n",
        (1, "the file must start with a line '---', then the front matter, then '---'"),
    ),
    "front matter not closed": (
        "---\nid: tax-2027\n\nText.\n",
        (1, "the front matter is not closed: add a line '---' after it"),
    ),
    "invalid yaml": (
        module_text(with_line(SOURCE_FRONT, 4, "summary: Help: citizens: file")),
        (4, "invalid YAML in the front matter: mapping values are not allowed in this context"),
    ),
    "unclosed quote": (
        module_text(with_line(SOURCE_FRONT, 3, 'title: "Tax declaration')),
        (3, "invalid YAML in the front matter: found unexpected end of stream "
            "(while scanning a quoted scalar)"),
    ),
    "unclosed bracket": (
        module_text(SOURCE_FRONT + "\ntags: [tax, eid\nversion_note: x"),
        (10, "invalid YAML in the front matter: did not find expected ',' or ']' "
             "(while parsing a flow sequence)"),
    ),
    "tab indentation": (
        module_text(SOURCE_FRONT + "\ntags:\n\t- tax"),
        (11, "invalid YAML in the front matter: found character '\\t' that cannot start any "
             "token (while scanning for the next token)"),
    ),
    "unknown key with suggestion": (
        module_text(with_line(SOURCE_FRONT, 3, "titel: Tax declaration 2027")),
        (3, "unknown front-matter key 'titel' (did you mean 'title'?)"),
    ),
    "unknown key": (
        module_text(SOURCE_FRONT + "\ncolour: red"),
        (10, "unknown front-matter key 'colour'"),
    ),
    "duplicate key": (
        module_text(SOURCE_FRONT + "\nminutes: 12"),
        (10, "'minutes' appears twice in the front matter"),
    ),
    "missing title": (
        module_text(without(SOURCE_FRONT, "title")),
        (1, "'title' is required"),
    ),
    "empty summary key": (
        module_text(with_line(SOURCE_FRONT, 4, "summary:")),
        (4, "'summary' is required"),
    ),
    "blank title": (
        module_text(with_line(SOURCE_FRONT, 3, 'title: "  "')),
        (3, "'title' must not be empty"),
    ),
    "title is a number": (
        module_text(with_line(SOURCE_FRONT, 3, "title: 2027")),
        (3, "'title' must be text (put it in quotes)"),
    ),
    "title too long": (
        module_text(with_line(SOURCE_FRONT, 3, "title: " + "x" * 201)),
        (3, "'title' is too long (201 characters, at most 200)"),
    ),
    "minutes zero": (
        module_text(with_line(SOURCE_FRONT, 9, "minutes: 0")),
        (9, "'minutes' must be between 1 and 120"),
    ),
    "minutes too many": (
        module_text(with_line(SOURCE_FRONT, 9, "minutes: 121")),
        (9, "'minutes' must be between 1 and 120"),
    ),
    "minutes as text": (
        module_text(with_line(SOURCE_FRONT, 9, "minutes: ten")),
        (9, "'minutes' must be a whole number"),
    ),
    "minutes as boolean": (
        module_text(with_line(SOURCE_FRONT, 9, "minutes: yes")),
        (9, "'minutes' must be a whole number"),
    ),
    "minutes as decimal": (
        module_text(with_line(SOURCE_FRONT, 9, "minutes: 7.5")),
        (9, "'minutes' must be a whole number"),
    ),
    "tags not a list": (
        module_text(SOURCE_FRONT + "\ntags: tax"),
        (10, "'tags' must be a list, like [tax, eid]"),
    ),
    "bad tag item": (
        module_text(SOURCE_FRONT + "\ntags:\n  - tax\n  - [nested]\n  - ok"),
        (12, "each tag must be a word or short text"),
    ),
    "id not a slug": (
        module_text(with_line(SOURCE_FRONT, 2, "id: Tax_2027")),
        (2, "'id' must use only a-z, 0-9 and -, like 'tax-2027'"),
    ),
    "provider not a slug": (
        module_text(with_line(SOURCE_FRONT, 8, "provider: JU IT")),
        (8, "'provider' must use only a-z, 0-9 and -, like 'tax-2027'"),
    ),
    "unsupported language": (
        module_text(with_line(SOURCE_FRONT, 5, "language: es")),
        (5, "'language' must be one of de, fr, it, en (not 'es')"),
    ),
    "unsupported source language": (
        module_text(with_line(SOURCE_FRONT, 6, "source_language: EN")),
        (6, "'source_language' must be one of de, fr, it, en (not 'EN')"),
    ),
    "revision zero": (
        module_text(with_line(SOURCE_FRONT, 7, "revision: 0")),
        (7, "'revision' must be at least 1"),
    ),
    "source without revision": (
        module_text(without(SOURCE_FRONT, "revision")),
        (1, "'revision' is required in the source-language file"),
    ),
    "source with translates": (
        module_text(SOURCE_FRONT + "\ntranslates: 1"),
        (10, "'translates' is only for translations; this file has 'revision'"),
    ),
    "translation without translates": (
        module_text(without(TRANSLATION_FRONT, "translates")),
        (1, "'translates' is required in a translation: the source revision it follows"),
    ),
    "translation with revision": (
        module_text(TRANSLATION_FRONT + "\nrevision: 2"),
        (10, "'revision' belongs in the source-language file (en) only"),
    ),
    "valid_days zero": (
        module_text(SOURCE_FRONT + "\nvalid_days: 0"),
        (10, "'valid_days' must be between 1 and 3660"),
    ),
    "refresher of itself": (
        module_text(SOURCE_FRONT + "\nrefresher_of: tax-2027"),
        (10, "a module cannot be a refresher of itself"),
    ),
    "yaml alias": (
        module_text(SOURCE_FRONT + "\ntags: &t [a]\nversion_note: *t"),
        (11, "YAML aliases (*name) are not allowed in the front matter"),
    ),
    "python object tag": (
        module_text(SOURCE_FRONT + "\nversion_note: !!python/object/apply:os.system [ls]"),
        (10, "invalid YAML in the front matter: could not determine a constructor for the tag "
         "'tag:yaml.org,2002:python/object/apply:os.system'"),
    ),
    "a list instead of keys": (
        "---\n- id: tax-2027\n---\n\nText\n",
        (2, "the front matter must be 'key: value' lines"),
    ),
    "complex key": (
        module_text(SOURCE_FRONT + "\n? [a, b]\n: value"),
        (10, "front-matter keys must be simple names like 'title'"),
    ),
    "no body": (
        module_text(body=""),
        (10, "the module has no text after the front matter"),
    ),
    "empty page": (
        module_text(body="Intro.\n\n## Empty\n\n## Full\n\nText.\n"),
        (14, "page 2 ('Empty') is empty"),
    ),
    "page without title": (
        module_text(body="Intro.\n\n##\n\nText.\n"),
        (14, "a page heading (##) needs a title"),
    ),
}  # fmt: skip


@pytest.mark.parametrize("case", FRONT_MATTER_ERRORS)
def test_each_problem_is_reported_at_its_real_line(case: str) -> None:
    text, expected = FRONT_MATTER_ERRORS[case]
    variant, problems = parse(text)
    assert variant is None
    assert [(p.line, p.message) for p in problems if p.severity == ERROR] == [expected]


def test_id_and_language_must_match_the_folder_and_file_names() -> None:
    text = module_text()
    assert errors_of(text, expected_id="tax-2028", expected_language="en") == [
        (2, "'id' is 'tax-2027' but the folder is 'tax-2028': they must be the same")
    ]
    assert errors_of(text, expected_id="tax-2027", expected_language="de") == [
        (5, "'language' is 'en' but the file name says 'de'")
    ]


def test_too_many_pages() -> None:
    body = "".join(f"## Page {n}\n\nText.\n\n" for n in range(1, MAX_PAGES + 3))
    assert errors_of(module_text(body=body)) == [
        (12 + 4 * MAX_PAGES, f"too many pages: {MAX_PAGES + 2} (a module has at most {MAX_PAGES})")
    ]
    body = "".join(f"## Page {n}\n\nText.\n\n" for n in range(1, MAX_PAGES + 1))
    assert errors_of(module_text(body=body)) == []


def test_line_numbers_survive_crlf_and_a_byte_order_mark() -> None:
    text = "\ufeff" + module_text(SOURCE_FRONT + "\ncolour: red").replace("\n", "\r\n")
    assert errors_of(text) == [(10, "unknown front-matter key 'colour'")]


def test_several_problems_are_all_reported() -> None:
    front = with_line(with_line(SOURCE_FRONT, 3, "titel: x"), 9, "minutes: 500")
    assert errors_of(module_text(without(front, "provider"))) == [
        (1, "'provider' is required"),
        (3, "unknown front-matter key 'titel' (did you mean 'title'?)"),
        (8, "'minutes' must be between 1 and 120"),  # line 8: the provider line is gone
    ]


def test_markdown_warnings_are_reported_at_file_lines() -> None:
    body = (
        "Intro <b>x</b>\n\n## Page\n\n![](media/pic.png)\n\n> [!NOTE]\n> hm\n\n##No space\n\nok\n"
    )
    variant, problems = parse(module_text(body=body), media_hashes={"media/pic.png": "0" * 64})
    assert variant is not None
    assert [(p.line, p.severity, p.message) for p in problems] == [
        (12, WARNING, "raw HTML is not supported and is removed: <b> </b>"),
        (16, WARNING, "image without alt text: describe it, like ![Login page](login.png)"),
        (18, WARNING, "unknown call-out [!NOTE]: use [!TIP], [!WARNING] or [!SAY]"),
        (21, WARNING, 'write a space after ##, like "## Title"'),
    ]


def test_media_references_are_checked_when_the_media_are_known() -> None:
    body = (
        "Intro\n\n![Form](media/form.png)\n\n[Handout](handout.pdf)\n\n![Doc](handout.pdf)\n\n"
        "[Out](../other/x.pdf)\n\n[Gone](gone.pdf)\n"
    )
    errors = errors_of(module_text(body=body), media_hashes={"handout.pdf": "0" * 64})
    assert errors == [
        (14, "'media/form.png' does not exist in the module folder"),
        (18, "'handout.pdf' cannot be shown as an image or video (use " + PICTURE_TYPES + ")"),
        (20, "'../other/x.pdf' is outside the module folder: put the file in the folder"),
        (22, "'gone.pdf' does not exist in the module folder"),
    ]  # fmt: skip
    # Without a list of media (text typed in the browser, say) only the folder boundary counts.
    assert errors_of(module_text(body=body)) == [
        (20, "'../other/x.pdf' is outside the module folder: put the file in the folder")
    ]


def test_read_variant_file_checks_the_encoding(tmp_path: Path) -> None:
    folder = tmp_path / "tax-2027"
    folder.mkdir()
    path = folder / "index.en.md"
    path.write_bytes(module_text().encode("utf-8") + b"\nBad \xff byte\n")
    variant, problems = read_variant_file(path)
    assert variant is None
    assert [str(p) for p in problems] == [f"{path}:18: the file is not valid UTF-8 text"]


def test_problem_format() -> None:
    problem = Problem("courses/x/index.de.md", 7, "something is wrong")
    assert str(problem) == "courses/x/index.de.md:7: something is wrong"
    assert str(Problem("courses/x", 0, "no module file here")) == "courses/x: no module file here"
    assert has_errors([problem]) and not has_errors([Problem("f", 1, "m", WARNING)])


# --- Hashing -------------------------------------------------------------------------------------


def content_hash(text: str, media: dict[str, str] | None = None) -> str:
    variant, problems = parse(text, media_hashes=media)
    assert variant is not None, problems
    return variant.content_hash


def test_hash_is_pinned() -> None:
    # If this changes, every module in every installation gets a new version on the next import.
    assert content_hash(module_text()) == (
        "f1a355b87b5957375ce129860835122d5159d44ede3dee66ce31a7509cac210f"
    )


QUOTED_TITLE = 'title: "Tax de\\x63laration 2027"'  # a YAML escape for "c"


@pytest.mark.parametrize(
    "variant_text",
    [
        module_text().replace("\n", "\r\n"),
        module_text().replace("\n", "\r"),
        "\ufeff" + module_text(),
        module_text(body="\n\n" + BODY + "\n\n\n"),
        module_text(body=BODY.replace("\n\n", "\n   \n")),
        module_text().replace("---\n\n", "---\n"),
        module_text(SOURCE_FRONT.replace("title: Tax declaration 2027", QUOTED_TITLE)),
        module_text(SOURCE_FRONT.replace("minutes: 10", "minutes:    10   # about")),
        module_text("\n".join(reversed(SOURCE_FRONT.split("\n")))),
        module_text(SOURCE_FRONT + "\ntags: []\nversion_note: ''"),
    ],
)  # fmt: skip
def test_hash_ignores_what_does_not_change_the_module(variant_text: str) -> None:
    assert content_hash(variant_text) == content_hash(module_text())


def test_hash_is_the_same_for_composed_and_decomposed_unicode() -> None:
    composed = module_text(body="Intro: Déclaration.\n")
    decomposed = module_text(body="Intro: De\u0301claration.\n")
    assert content_hash(composed) == content_hash(decomposed)


@pytest.mark.parametrize(
    "changed",
    [
        module_text(body=BODY.replace("Some text.", "Some other text.")),
        module_text(body=BODY.replace("Some text.", "Some text.  ")),  # a hard line break
        module_text(body=BODY + "\n## Another\n\nPage.\n"),
        module_text(SOURCE_FRONT.replace("minutes: 10", "minutes: 11")),
        module_text(SOURCE_FRONT.replace("revision: 1", "revision: 2")),
        module_text(SOURCE_FRONT + "\ntags: [tax]"),
        module_text(SOURCE_FRONT + "\nversion_note: Typo fixed."),
    ],
)
def test_hash_changes_with_the_content(changed: str) -> None:
    assert content_hash(changed) != content_hash(module_text())


def test_hash_follows_referenced_media_only() -> None:
    text = module_text(body="Intro ![Form](media/form.png)\n")
    media = {"media/form.png": "a" * 64, "media/unused.png": "b" * 64}
    base = content_hash(text, media)
    assert content_hash(text, {**media, "media/unused.png": "c" * 64}) == base
    assert content_hash(text, {**media, "media/form.png": "d" * 64}) != base


def test_hash_does_not_depend_on_where_the_folder_is(tmp_path: Path) -> None:
    first = shutil.copytree(GOOD / "eid-login", tmp_path / "a" / "eid-login")
    second = shutil.copytree(GOOD / "eid-login", tmp_path / "b" / "eid-login")
    os.utime(second / "media/login.png", (0, 0))
    hashes = [
        {lang: v.content_hash for lang, v in load_module_folder(folder).variants.items()}
        for folder in (first, second, GOOD / "eid-login")
    ]
    assert hashes[0] == hashes[1] == hashes[2]


def test_hash_changes_when_a_referenced_file_changes(tmp_path: Path) -> None:
    folder = shutil.copytree(GOOD / "eid-login", tmp_path / "eid-login")
    before = load_module_folder(folder).source.content_hash
    (folder / "media/login.png").write_bytes(PNG + b"\x00")
    assert load_module_folder(folder).source.content_hash != before


# --- Module folders ------------------------------------------------------------------------------


def test_load_module_folder() -> None:
    module = load_module_folder(GOOD / "eid-login")
    assert (module.id, module.source_language, list(module.variants)) == (
        "eid-login",
        "de",
        ["de", "fr"],
    )
    assert module.media == [Path("media/demo.mp4"), Path("media/login.png")]
    assert module.revision == 2
    assert module.out_of_date_languages() == []
    assert module.source.media_paths == ("media/login.png", "media/demo.mp4")
    assert module.variants["fr"].pages[2].title == "Se connecter"  # fmt: skip


def make_module(tmp_path: Path, files: dict[str, str | bytes], name: str = "tax-2027") -> Path:
    folder = tmp_path / name
    for relative, content in files.items():
        path = folder / relative
        path.parent.mkdir(parents=True, exist_ok=True)
        if isinstance(content, bytes):
            path.write_bytes(content)
        else:
            path.write_text(content, encoding="utf-8")
    return folder


def problems_in(folder: Path) -> list[tuple[str, int, str, str]]:
    reading = read_module_folder(folder)
    return [
        (Path(p.file).relative_to(folder.parent).as_posix(), p.line, p.severity, p.message)
        for p in reading.problems
    ]


def test_translation_out_of_date_is_a_warning_naming_both_numbers(tmp_path: Path) -> None:
    folder = make_module(
        tmp_path,
        {
            "index.en.md": module_text(SOURCE_FRONT.replace("revision: 1", "revision: 3")),
            "index.fr.md": module_text(TRANSLATION_FRONT.replace("translates: 1", "translates: 2")),
        },
    )
    assert problems_in(folder) == [
        (
            "tax-2027/index.fr.md",
            7,
            WARNING,
            "translation out of date: it follows revision 2 but the source (en) is at revision 3",
        )
    ]
    module = load_module_folder(folder)
    assert module.out_of_date_languages() == ["fr"]


def test_translation_ahead_of_the_source_is_an_error(tmp_path: Path) -> None:
    folder = make_module(
        tmp_path,
        {
            "index.en.md": module_text(),
            "index.fr.md": module_text(TRANSLATION_FRONT.replace("translates: 1", "translates: 4")),
        },
    )
    assert problems_in(folder) == [
        (
            "tax-2027/index.fr.md",
            7,
            ERROR,
            "'translates' is 4 but the source (en) is only at revision 1",
        )
    ]
    with pytest.raises(ModuleFormatError) as raised:
        load_module_folder(folder)
    assert "only at revision 1" in str(raised.value)


def test_missing_source_language_file(tmp_path: Path) -> None:
    folder = make_module(tmp_path, {"index.fr.md": module_text(TRANSLATION_FRONT)})
    assert problems_in(folder) == [
        (
            "tax-2027/index.fr.md",
            6,
            ERROR,
            "'source_language' is en but there is no index.en.md here",
        )
    ]


def test_module_properties_must_agree_across_languages(tmp_path: Path) -> None:
    folder = make_module(
        tmp_path,
        {
            "index.en.md": module_text(),
            "index.fr.md": module_text(
                TRANSLATION_FRONT.replace("provider: ju-it", "provider: ne-it") + "\nvalid_days: 30"
            ),
        },
    )
    assert problems_in(folder) == [
        (
            "tax-2027/index.fr.md",
            8,
            ERROR,
            "'provider' is 'ne-it' here but 'ju-it' in index.en.md: "
            "it must be the same in every language",
        ),
        (
            "tax-2027/index.fr.md",
            10,
            ERROR,
            "'valid_days' is '30' here but '(none)' in index.en.md: "
            "it must be the same in every language",
        ),
    ]


def test_file_names_and_media_types(tmp_path: Path) -> None:
    folder = make_module(
        tmp_path,
        {
            "index.en.md": module_text(body="Intro ![Form](media/form.png)\n"),
            "index.es.md": "x",
            "index.md": "x",
            "media/form.png": PNG,
            "media/evil.svg": b"<svg onload=alert(1)>",
            "media/photo.png": b"\xff\xd8\xff\xe0\x00\x10JFIF\x00",
            "notes.txt": "a note",
            ".DS_Store": b"\x00\x00",
        },
    )
    assert problems_in(folder) == [
        ("tax-2027/index.es.md", 0, ERROR,
         "language 'es' in the file name is not supported (de, fr, it, en)"),
        ("tax-2027/index.md", 0, ERROR, "the file name needs a language, like index.de.md"),
        ("tax-2027/media/evil.svg", 0, ERROR, NOT_ALLOWED),
        ("tax-2027/media/photo.png", 0, ERROR,
         "the file is a jpg but its name ends in '.png': rename it"),
        ("tax-2027/notes.txt", 0, ERROR, NOT_ALLOWED),
    ]  # fmt: skip


def test_a_folder_without_module_files(tmp_path: Path) -> None:
    folder = make_module(tmp_path, {"readme.txt": "hello"})
    reading = read_module_folder(folder)
    assert reading.module is None
    message = "no module file here: add index.de.md, index.fr.md, index.it.md or index.en.md"
    assert ("tax-2027", 0, ERROR, message) in problems_in(folder)


@pytest.mark.skipif(not hasattr(os, "symlink"), reason="needs symlinks")
def test_symlinks_are_refused(tmp_path: Path) -> None:
    folder = make_module(tmp_path, {"index.en.md": module_text()})
    (folder / "media").mkdir()
    (folder / "media/passwd.png").symlink_to("/etc/passwd")
    assert problems_in(folder) == [
        ("tax-2027/media/passwd.png", 0, ERROR, "links to other files (symlinks) are not allowed")
    ]


# --- Writing back --------------------------------------------------------------------------------


def test_round_trip_of_a_module_folder(tmp_path: Path) -> None:
    module = load_module_folder(GOOD / "eid-login")
    written = write_module_folder(module, tmp_path / "eid-login")
    again = load_module_folder(written)
    assert {k: v.content_hash for k, v in again.variants.items()} == {
        k: v.content_hash for k, v in module.variants.items()
    }
    assert again.media == module.media
    for language, variant in module.variants.items():
        copy = again.variants[language]
        assert copy.front_matter() == variant.front_matter()
        assert [(p.index, p.title, p.markdown) for p in copy.pages] == [
            (p.index, p.title, p.markdown) for p in variant.pages
        ]
        assert format_variant(copy) == format_variant(variant)


def test_round_trip_with_media_from_elsewhere(tmp_path: Path) -> None:
    module = load_module_folder(GOOD / "eid-login")
    stored = {p: (GOOD / "eid-login" / p).read_bytes() for p in module.media}
    written = write_module_folder(
        module, tmp_path / "export" / "eid-login", read_media=stored.__getitem__
    )
    assert load_module_folder(written).source.content_hash == module.source.content_hash


def test_writing_into_the_same_folder_keeps_the_media(tmp_path: Path) -> None:
    folder = shutil.copytree(GOOD / "eid-login", tmp_path / "eid-login")
    module = load_module_folder(folder)
    write_module_folder(module, folder)
    assert load_module_folder(folder).source.content_hash == module.source.content_hash


TRICKY_FRONT = """\
id: tax-2027
title: "eID: the basics — «Grundlagen» 'quoted' #1"
summary: >
  Two sentences: one folded
  over lines. Yes!
language: en
source_language: en
revision: 12
provider: ju-it
minutes: 120
tags: ["yes", "2027", "a, b", "null", "ü"]
valid_days: 3660
refresher_of: tax-basics
version_note: "line one\\nline two"
"""


def test_format_variant_round_trips_tricky_values() -> None:
    variant, problems = parse(
        module_text(TRICKY_FRONT.rstrip("\n"), body="Body *text*.\n\n## P\n\nx\n")
    )
    assert variant is not None, problems
    text = format_variant(variant)
    again, problems = parse(text)
    assert problems == []
    assert again is not None
    assert again.front_matter() == variant.front_matter()
    assert again.tags == ["yes", "2027", "a, b", "null", "ü"]
    assert again.content_hash == variant.content_hash
    assert format_variant(again) == text


def test_format_variant_writes_a_readable_file() -> None:
    variant, _ = parse(module_text(SOURCE_FRONT + "\ntags: [tax, online]"))
    assert variant is not None
    assert format_variant(variant) == (
        "---\n"
        "id: tax-2027\n"
        "title: Tax declaration 2027\n"
        "summary: Help citizens file the tax declaration online.\n"
        "language: en\n"
        "source_language: en\n"
        "revision: 1\n"
        "provider: ju-it\n"
        "minutes: 10\n"
        "tags:\n"
        "- tax\n"
        "- online\n"
        "---\n"
        "\n"
        "Intro text.\n"
        "\n"
        "## First page\n"
        "\n"
        "Some text.\n"
    )
