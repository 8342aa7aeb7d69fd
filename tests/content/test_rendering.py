"""The Markdown pipeline: each feature's exact HTML, the warnings, and that no input runs script."""

from __future__ import annotations

import html
import re
import time
from html.parser import HTMLParser
from pathlib import Path

import pytest

from app.content.html_sanitiser import (
    ALLOWED_ATTRIBUTE_VALUES,
    ALLOWED_ATTRIBUTES,
    ALLOWED_CLASSES,
    ALLOWED_TAGS,
    ALLOWED_URL_SCHEMES,
    LINK_REL,
    sanitise_html,
)
from app.content.link_targets import UrlKind, classify_url
from app.content.markdown_pipeline import DEFAULT_LABELS, MAX_BRACKETS, MAX_NESTING
from app.content.markdown_warnings import markdown_references, markdown_warnings
from app.content.module_folder import load_module_folder
from app.content.rendering import (
    RenderedPage,
    plain_text,
    render_markdown,
    render_pages,
    render_title,
)

REPO = Path(__file__).resolve().parents[2]
PAYLOADS_FILE = REPO / "tests/data/xss/payloads.txt"
FIXTURES = REPO / "tests/fixtures"

MEDIA = {
    "pic.png": "/m/pic.png",
    "media/pic.png": "/m/pic.png",
    "demo.mp4": "/m/demo.mp4",
    "clip.webm": "/m/clip.webm",
    "media/handout.pdf": "/m/handout.pdf",
}


def render(text: str, **options) -> str:
    return render_markdown(text, media_url=MEDIA.get, **options)


# --- Features ----------------------------------------------------------------------------------


def test_plain_markdown() -> None:
    assert render("Some *emphasis* and **strong** text.") == (
        "<p>Some <em>emphasis</em> and <strong>strong</strong> text.</p>"
    )
    assert render("") == ""
    assert render("  \n\n ") == ""


@pytest.mark.parametrize(
    ("marker", "kind", "label"),
    [
        ("TIP", "tip", "Tip"),
        ("WARNING", "warning", "Warning"),
        ("SAY", "say", "Say to the customer"),
    ],
)
def test_callouts(marker: str, kind: str, label: str) -> None:
    assert render(f"> [!{marker}]\n> Ask for *ID*.") == (
        f'<aside class="callout callout-{kind}" role="note">\n'
        f'<p class="callout-title">{label}</p>\n'
        "<p>Ask for <em>ID</em>.</p>\n"
        "</aside>"
    )


def test_callout_markers_ignore_case_and_may_share_the_first_line() -> None:
    assert render("> [!warning]\n> Careful.").startswith(
        '<aside class="callout callout-warning" role="note">'
    )
    assert render("> [!SAY] Hello.") == (
        '<aside class="callout callout-say" role="note">\n'
        '<p class="callout-title">Say to the customer</p>\n'
        "<p>Hello.</p>\n"
        "</aside>"
    )


def test_callout_titles_are_translatable() -> None:
    labels = {"tip": "Astuce", "warning": "Attention", "say": "À dire au client"}
    assert '<p class="callout-title">Astuce</p>' in render("> [!TIP]\n> x", labels=labels)
    assert '<p class="callout-title">À dire au client</p>' in render("> [!SAY]\n> x", labels=labels)
    # A translation is text, never markup.
    assert '<p class="callout-title">&lt;b&gt;Tip&lt;/b&gt;</p>' in render(
        "> [!TIP]\n> x", labels={"tip": "<b>Tip</b>"}
    )
    assert set(DEFAULT_LABELS) >= {"tip", "warning", "say"}


def test_two_callouts_separated_by_an_empty_line_stay_apart() -> None:
    output = render("> [!TIP]\n> One.\n\n> [!WARNING]\n> Two.")
    assert output.count("<aside") == 2
    assert output.index("callout-tip") < output.index("One.") < output.index("callout-warning")


def test_unknown_or_escaped_markers_stay_plain_quotes() -> None:
    assert render("> [!NOTE]\n> x") == "<blockquote>\n<p>[!NOTE]\nx</p>\n</blockquote>"
    assert render("> \\[!TIP]\n> x") == "<blockquote>\n<p>[!TIP]\nx</p>\n</blockquote>"
    assert render("> Just a quote.") == "<blockquote>\n<p>Just a quote.</p>\n</blockquote>"


def test_steps() -> None:
    text = '```steps\nOpen www.jura.ch/guichet\nClick "Create an account"\n```'
    assert render(text) == (
        '<ol class="steps">\n'
        "<li>Open www.jura.ch/guichet</li>\n"
        '<li>Click "Create an account"</li>\n'
        "</ol>"
    )


def test_steps_drop_numbering_and_blank_lines_and_allow_inline_markdown() -> None:
    text = "```steps\n1. Open **www.jura.ch**\n\n- Click [Login](https://jura.ch)\n```"
    assert render(text) == (
        '<ol class="steps">\n'
        "<li>Open <strong>www.jura.ch</strong></li>\n"
        f'<li>Click <a href="https://jura.ch" rel="{LINK_REL}">Login</a></li>\n'
        "</ol>"
    )
    assert render("```steps\n```") == ""


def test_a_steps_fence_inside_another_code_block_is_code() -> None:
    assert render("~~~\n```steps\na\n```\n~~~") == ("<pre><code>```steps\na\n```\n</code></pre>")


def test_video_on_its_own_line_is_a_figure() -> None:
    assert render("![Signing in, step by step](demo.mp4)") == (
        '<figure class="media-video">'
        '<video controls="" preload="metadata">'
        '<source src="/m/demo.mp4" type="video/mp4">Signing in, step by step'
        "</video>"
        "<figcaption>Signing in, step by step</figcaption>"
        "</figure>"
    )


def test_inline_video_keeps_its_description_as_fallback() -> None:
    assert render("See ![Clip](clip.webm) now") == (
        '<p>See <video controls="" preload="metadata">'
        '<source src="/m/clip.webm" type="video/webm">Clip</video> now</p>'
    )


def test_images_are_rewritten_through_media_url() -> None:
    assert render('![A form](pic.png "The form")') == (
        '<p><img alt="A form" src="/m/pic.png" title="The form"></p>'
    )
    assert render("![A form](./media/../pic.png)") == '<p><img alt="A form" src="/m/pic.png"></p>'


@pytest.mark.parametrize(
    "text",
    [
        "![Unknown file](other.png)",
        "![Unknown file](other.mp4)",
        "![Unknown file](https://example.org/x.png)",
        "![Unknown file](/static/x.png)",
        "![Unknown file](../other-module/pic.png)",
    ],
)
def test_unknown_internet_or_outside_images_become_their_alt_text(text: str) -> None:
    assert render(text) == "<p>Unknown file</p>"


def test_without_media_url_relative_media_is_dropped() -> None:
    assert render_markdown("![Pic](pic.png) [file](media/handout.pdf)") == "<p>Pic file</p>"


def test_links() -> None:
    text = (
        "[a](https://example.org) [b](mailto:x@example.org) [c](tel:+41324200000) "
        "[d](/modules/x) [e](#top) [f](media/handout.pdf#page=2) [g](missing.pdf) "
        "[h](../other/x.pdf) [i](ftp://example.org) [j]()"
    )
    rel = f'rel="{LINK_REL}"'
    assert render(text) == (
        f'<p><a href="https://example.org" {rel}>a</a> '
        f'<a href="mailto:x@example.org" {rel}>b</a> '
        f'<a href="tel:+41324200000" {rel}>c</a> '
        f'<a href="/modules/x" {rel}>d</a> '
        f'<a href="#top" {rel}>e</a> '
        f'<a href="/m/handout.pdf#page=2" {rel}>f</a> g h i j</p>'
    )
    assert "target=" not in render(text)


def test_autolinks() -> None:
    rel = f'rel="{LINK_REL}"'
    assert render("<https://example.org> <x@example.org>") == (
        f'<p><a href="https://example.org" {rel}>https://example.org</a> '
        f'<a href="mailto:x@example.org" {rel}>x@example.org</a></p>'
    )


def test_reference_links() -> None:
    assert render('[the site][s]\n\n[s]: https://example.org "Title"') == (
        f'<p><a href="https://example.org" title="Title" rel="{LINK_REL}">the site</a></p>'
    )


def test_tables_keep_alignment_without_style() -> None:
    assert render("| A | B | C |\n|:--|:-:|--:|\n| 1 | 2 | 3 |") == (
        "<table>\n<thead>\n<tr>\n"
        '<th align="left">A</th>\n<th align="center">B</th>\n<th align="right">C</th>\n'
        "</tr>\n</thead>\n<tbody>\n<tr>\n"
        '<td align="left">1</td>\n<td align="center">2</td>\n<td align="right">3</td>\n'
        "</tr>\n</tbody>\n</table>"
    )


def test_fenced_code_is_escaped_and_has_no_class() -> None:
    assert render("```python\nprint('<b>')\n```") == (
        "<pre><code>print('&lt;b&gt;')\n</code></pre>"
    )
    assert render("```{.callout #fn-1 onclick=x}\ncode\n```") == "<pre><code>code\n</code></pre>"


def test_sane_lists() -> None:
    assert render("3. three\n4. four") == '<ol start="3">\n<li>three</li>\n<li>four</li>\n</ol>'
    assert render("- a\n- b") == "<ul>\n<li>a</li>\n<li>b</li>\n</ul>"


def test_headings_inside_a_page_start_at_level_three() -> None:
    assert render("# One\n\n### Three\n\n#### Four\n\nSetext\n------") == (
        "<h3>One</h3>\n<h3>Three</h3>\n<h4>Four</h4>\n<h3>Setext</h3>"
    )


def test_footnotes_get_prefixed_numbered_ids() -> None:
    text = "Text[^note] and more[^2] and again[^note].\n\n[^note]: First.\n[^2]: Second."
    output = render(text, footnote_prefix="p2-")
    rel = f'rel="{LINK_REL}"'
    assert (
        f'<sup id="p2-fnref-1"><a class="footnote-ref" href="#p2-fn-1" {rel}>1</a></sup>' in output
    )
    assert '<sup id="p2-fnref-1-2">' in output
    assert '<li id="p2-fn-1">' in output and '<li id="p2-fn-2">' in output
    assert (
        f'<a class="footnote-backref" href="#p2-fnref-1" title="Back to the text" {rel}>' in output
    )
    assert output.startswith("<p>Text<sup")
    assert '<div class="footnote">' in output
    assert "fn:" not in output


def test_footnote_prefix_is_validated() -> None:
    with pytest.raises(ValueError):
        render_markdown("x", footnote_prefix='"><script>')


def test_raw_html_is_removed() -> None:
    assert render('a <b onclick="x">bold</b> <!-- c --> <script>alert(1)</script>') == (
        "<p>a bold  alert(1)</p>"
    )
    assert render("<div>\n**block**\n</div>") == "<p>\n<strong>block</strong>\n</p>"


def test_attribute_list_syntax_stays_inert_text() -> None:
    assert render('para\n{: onclick="alert(1)" .callout #fn-1}') == (
        '<p>para\n{: onclick="alert(1)" .callout #fn-1}</p>'
    )
    assert render("## Title {: #x onclick=alert(1)}") == ("<h3>Title {: #x onclick=alert(1)}</h3>")


def test_sanitiser_keeps_only_the_exact_generated_classes_and_ids() -> None:
    assert sanitise_html('<p class="callout-title x">a</p>') == "<p>a</p>"
    assert sanitise_html('<p class="callout-title">a</p>') == '<p class="callout-title">a</p>'
    assert sanitise_html('<aside class="callout callout-tip" role="banner">a</aside>') == (
        '<aside class="callout callout-tip">a</aside>'
    )
    assert sanitise_html('<li id="fn-1">a</li><li id="x">b</li>') == (
        '<li id="fn-1">a</li><li>b</li>'
    )
    assert sanitise_html('<p style="color:red" onclick="x" id="fn-1">a</p>') == "<p>a</p>"
    assert sanitise_html('<ol start="2; x">a</ol>') == "<ol>a</ol>"


def test_attribute_values_never_contain_raw_angle_brackets() -> None:
    output = render('![<script>alert(1)</script> a>b "q"](pic.png "<svg onload=x>")')
    assert output == (
        '<p><img alt="&lt;script&gt;alert(1)&lt;/script&gt; a&gt;b &quot;q&quot;" '
        'src="/m/pic.png" title="&lt;svg onload=x&gt;"></p>'
    )


def test_allow_lists_are_explicit_and_tight() -> None:
    assert sorted(ALLOWED_URL_SCHEMES) == ["http", "https", "mailto", "tel"]
    all_attributes = {a for names in ALLOWED_ATTRIBUTES.values() for a in names}
    all_attributes |= {a for values in ALLOWED_ATTRIBUTE_VALUES.values() for a in values}
    assert "style" not in all_attributes
    assert not any(name.startswith("on") for name in all_attributes)
    assert "*" not in ALLOWED_ATTRIBUTES
    assert not {"script", "iframe", "object", "embed", "svg", "math", "style", "form"} & (
        ALLOWED_TAGS
    )
    assert not {"base", "meta", "link", "input", "button", "textarea"} & ALLOWED_TAGS
    assert set(ALLOWED_CLASSES) <= ALLOWED_TAGS


# --- Pages, titles, plain text -------------------------------------------------------------------


def test_render_pages_of_a_module() -> None:
    module = load_module_folder(FIXTURES / "courses_good/eid-login")
    pages = render_pages(module.variants["fr"], media_url=lambda p: f"/media/eid-login/{p}")
    assert [p.index for p in pages] == [0, 1, 2]
    assert [p.title for p in pages] == [
        "Se connecter au guichet virtuel avec l'eID",
        "Avant de commencer",
        "Se connecter",
    ]
    assert isinstance(pages[0], RenderedPage)
    assert 'src="/media/eid-login/media/login.png"' in pages[2].html
    assert '<source src="/media/eid-login/media/demo.mp4" type="video/mp4">' in pages[2].html
    assert pages[1].text == (
        "Demandez l'adresse e-mail et le téléphone mobile.\n"
        "Tip\n"
        "Laissez la personne taper elle-même."
    )


def test_render_pages_uses_labels_and_prefixes_footnotes_per_page() -> None:
    module = load_module_folder(FIXTURES / "courses_good/eid-login")
    pages = render_pages(module.source, labels={"tip": "Tipp", "say": "Sagen Sie"})
    assert '<p class="callout-title">Tipp</p>' in pages[1].html
    assert '<p class="callout-title">Sagen Sie</p>' in pages[2].html
    # Without media_url the picture shows as its description.
    assert "<img" not in pages[2].html and "Anmeldeseite des Online-Schalters" in pages[2].html


def test_render_title_gives_plain_text() -> None:
    assert render_title("Use the **eID** <b>now</b> ##") == "Use the eID now"
    assert render_title("1. Open the site") == "1. Open the site"
    assert render_title("C\\#") == "C#"


def test_plain_text() -> None:
    html_text = render(
        "Intro *text*.\n\n- one\n- two\n\n![A form](pic.png)\n\n![Demo](demo.mp4)\n\n"
        "Note[^1]\n\n[^1]: A &amp; B"
    )
    assert plain_text(html_text) == "Intro text.\none\ntwo\nA form\nDemo\nNote1\nA & B"


# --- URL classification, references and warnings -----------------------------------------------


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ("https://example.org", UrlKind.EXTERNAL),
        ("HTTP://example.org", UrlKind.EXTERNAL),
        ("mailto:a@b.ch", UrlKind.EXTERNAL),
        ("tel:+41", UrlKind.EXTERNAL),
        ("//evil.example/x", UrlKind.EXTERNAL),
        ("/\\evil.example/x", UrlKind.EXTERNAL),
        ("#top", UrlKind.FRAGMENT),
        ("/modules/x", UrlKind.SITE),
        ("media/pic.png", UrlKind.MEDIA),
        ("javascript:alert(1)", UrlKind.UNSAFE),
        ("JaVaScRiPt:alert(1)", UrlKind.UNSAFE),
        (" \tjavascript:alert(1)", UrlKind.UNSAFE),
        ("java\nscript:alert(1)", UrlKind.UNSAFE),
        ("java\x00script:alert(1)", UrlKind.UNSAFE),
        ("&#106;avascript:alert(1)", UrlKind.UNSAFE),
        ("&#x6A;avascript&colon;alert(1)", UrlKind.UNSAFE),
        ("&amp;#106;avascript:alert(1)", UrlKind.UNSAFE),
        ("vbscript:msgbox(1)", UrlKind.UNSAFE),
        ("data:text/html;base64,PHNjcmlwdD4=", UrlKind.UNSAFE),
        ("file:///etc/passwd", UrlKind.UNSAFE),
        ("", UrlKind.UNSAFE),
    ],
)
def test_classify_url(raw: str, kind: UrlKind) -> None:
    assert classify_url(raw).kind is kind


def test_media_paths_are_normalised_and_kept_inside_the_folder() -> None:
    assert classify_url("./media/../media/my%20pic.png?x=1").path == "media/my pic.png"
    assert classify_url("../secret.png").path is None
    assert classify_url("media/../../secret.png").path is None
    assert classify_url("handout.pdf#page=2").fragment == "#page=2"


def test_markdown_references_have_lines() -> None:
    text = "Intro\n\n![Form](pic.png)\n\nSee [the handout][h].\n\n[h]: media/handout.pdf\n"
    found = [(r.kind, r.target.path, r.text, r.line) for r in markdown_references(text)]
    assert found == [
        ("image", "pic.png", "Form", 3),
        ("link", "media/handout.pdf", "the handout", 7),
    ]


def test_markdown_references_ignore_code() -> None:
    assert markdown_references("`![x](a.png)`\n\n```\n[y](b.pdf)\n```") == []


JS_LINK = "'javascript:' links are not allowed and are removed"
NO_ALT = "image without alt text: describe it, like ![Login page](login.png)"
WEB_IMAGE = "images from web addresses are not shown: put the file in the module folder"


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("ok\n<b>bold</b> <B>", [(2, "raw HTML is not supported and is removed: <b> </b> <B>")]),
        ("ok\n\n<!-- note -->", [(3, "raw HTML is not supported and is removed: <!-- note -->")]),
        ("ok\n\n![](pic.png)", [(3, NO_ALT)]),
        ("ok\n\n[x](javascript:alert(1))", [(3, JS_LINK)]),
        ("[x](JaVaScRiPt:alert(1))", [(1, JS_LINK)]),
        ("![x](data:image/svg+xml,abc)", [(1, "'data:' links are not allowed and are removed")]),
        ("[x](vbscript:x)", [(1, "'vbscript:' links are not allowed and are removed")]),
        ("![x](https://example.org/a.png)", [(1, WEB_IMAGE)]),
        ("> [!NOTE]\n> x", [(1, "unknown call-out [!NOTE]: use [!TIP], [!WARNING] or [!SAY]")]),
        ("x\n\n{: .big}", [(3, "attribute lists like {: ...} are not supported and show as text")]),
    ],
)  # fmt: skip
def test_markdown_warnings(text: str, expected: list[tuple[int, str]]) -> None:
    assert markdown_warnings(text) == expected


def test_markdown_warnings_for_headings_and_fences() -> None:
    warnings = markdown_warnings("# Title\n\nText\n---\n\n```\nnever closed\n")
    assert [line for line, _ in warnings] == [1, 4, 6]
    assert "level-1 heading" in warnings[0][1]
    assert "makes that text a heading" in warnings[1][1]
    assert "never closed" in warnings[2][1]


def test_markdown_warnings_ignore_code_and_autolinks() -> None:
    text = "`<b>` and <https://example.org>\n\n```\n<script>\n```\n\n    <div>indented code</div>"
    assert markdown_warnings(text) == []
    assert markdown_warnings("> [!TIP]\n> fine\n\n![A form](pic.png)") == []


# --- Security: nothing a trainer writes can run script ------------------------------------------

FORBIDDEN_TAGS = ("script", "iframe", "object", "embed", "svg", "math", "style", "form", "base")
FORBIDDEN_TAGS += ("meta", "link")
URL_ATTRIBUTES = ("href", "src", "action", "formaction", "poster", "data", "xlink:href")


class _Inspector(HTMLParser):
    """Collects every reason the HTML could run script or break out of the allow-lists."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.failures: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self._check(tag, attrs)

    def _check(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in FORBIDDEN_TAGS or tag not in ALLOWED_TAGS:
            self.failures.append(f"tag <{tag}>")
        allowed = set(ALLOWED_ATTRIBUTES.get(tag, ())) | set(ALLOWED_ATTRIBUTE_VALUES.get(tag, {}))
        for name, value in attrs:
            value = value or ""
            if name.startswith("on"):
                self.failures.append(f"event handler {name}")
            if name not in allowed and name != "rel":
                self.failures.append(f"attribute {name} on <{tag}>")
            if name == "class" and value not in ALLOWED_CLASSES.get(tag, ()):
                self.failures.append(f"class {value!r}")
            if name == "id" and not re.fullmatch(
                r"(?:[a-z][a-z0-9]*-)*fn(?:ref)?-\d+(?:-\d+)?", value
            ):
                self.failures.append(f"id {value!r}")
            if name in URL_ATTRIBUTES:
                # html.parser has already decoded character references once, like a browser.
                compact = re.sub(r"[\x00-\x20\x7f]", "", html.unescape(value)).lower()
                scheme = re.match(r"^([a-z][a-z0-9+.\-]*):", compact)
                if compact.startswith(("javascript:", "vbscript:", "data:")) or (
                    scheme and scheme.group(1) not in ALLOWED_URL_SCHEMES
                ):
                    self.failures.append(f"{name}={value!r}")


def unsafe_parts(output: str) -> list[str]:
    """Why the sanitised HTML could run script (empty when it is inert)."""
    inspector = _Inspector()
    inspector.feed(output)
    inspector.close()
    lowered = output.lower()
    inspector.failures.extend(f"text {t!r}" for t in FORBIDDEN_TAGS if f"<{t}" in lowered)
    return inspector.failures


def _payloads() -> list[str]:
    # One payload per line, UTF-8 (SOURCE.txt); split on "\n" only: a payload may hold other
    # characters that str.splitlines() would treat as line breaks.
    lines = PAYLOADS_FILE.read_text(encoding="utf-8").split("\n")
    return [line for line in lines if line]


PAYLOADS = _payloads()

CONTEXTS = {
    "markdown": "{p}",
    "link target": "[x]({p})",
    "link target in angle brackets": "[x](<{p}>)",
    "image url": "![x]({p})",
    "link title": '[x](https://example.org "{p}")',
    "alt text": "![{p}](pic.png)",
    "table cell": "| a | b |\n|---|---|\n| {p} | x |",
    "footnote": "Text[^1]\n\n[^1]: {p}",
    "reference definition": "[x][r]\n\n[r]: {p}",
    "call-out": "> [!TIP]\n> {p}",
    "steps": "```steps\n{p}\n```",
    "heading": "### {p}",
}


def test_the_payload_corpus_is_read_whole() -> None:
    assert len(PAYLOADS) == 286
    assert any("<script" in p.lower() for p in PAYLOADS)


def _permissive_media_url(path: str) -> str:
    """A resolver that knows every path, so that no payload is dropped before the sanitiser."""
    return "/media/" + path


@pytest.mark.parametrize("context", CONTEXTS)
def test_xss_corpus_stays_inert_in_every_context(context: str) -> None:
    failures = {}
    for payload in PAYLOADS:
        text = CONTEXTS[context].format(p=payload)
        for media_url in (None, _permissive_media_url):
            problems = unsafe_parts(render_markdown(text, media_url=media_url))
            if problems:
                failures[payload] = problems
    assert failures == {}


MARKDOWN_VECTORS = [
    "[x](javascript:alert(1))",
    "[x](JaVaScRiPt:alert(1))",
    "[x]( javascript:alert(1))",
    "[x](<javascript:alert(1)>)",
    "[x](&#106;avascript:alert(1))",
    "[x](&#x6A;&#x61;&#x76;&#x61;&#x73;&#x63;&#x72;&#x69;&#x70;&#x74;&#x3A;alert(1))",
    "[x](&#0000106avascript:alert(1))",
    "[x](javascript&colon;alert(1))",
    "[x](&amp;#106;avascript:alert(1))",
    "[x](java\nscript:alert(1))",
    "[x](java&#x09;script:alert(1))",
    "[x](java\tscript:alert(1))",
    "[x](vbscript:msgbox(1))",
    "[x](data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==)",
    "[x][r]\n\n[r]: javascript:alert(1)",
    "[x][r]\n\n[r]: <javascript:alert(1)>",
    "![x][r]\n\n[r]: javascript:alert(1)",
    "<javascript:alert(1)>",
    "<JAVASCRIPT:alert(1)>",
    "<vbscript:msgbox(1)>",
    "<a@b.ch onmouseover=alert(1)>",
    "![x](data:image/svg+xml,<svg/onload=alert(1)>)",
    "![x](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoMSk+)",
    "![x](javascript:alert(1))",
    '![x](pic.png" onerror="alert(1))',
    '![x](pic.png "a" onerror="alert(1)")',
    '[x](https://example.org "a" onclick="alert(1)")',
    '[x](https://example.org "t\\"onmouseover=alert(1)")',
    "[x](https://example.org 't'onmouseover=alert(1)')",
    '![x"onerror="alert(1)](pic.png)',
    "![x' onerror='alert(1)](pic.png)",
    '[x](https://example.org/"onmouseover="alert(1))',
    'para\n{: onclick="alert(1)"}',
    '### Heading {: onclick="alert(1)" }',
    "[x](https://example.org){: onclick=alert(1)}",
    "```{ onclick=alert(1) #x .y }\ncode\n```",
    "<script>alert(1)</script>",
    "<div onmouseover='alert(1)'>\n\n**x**\n\n</div>",
    '<img src=x onerror="alert(1)">',
    "<svg><script>alert(1)</script></svg>",
    '<iframe src="javascript:alert(1)"></iframe>',
    '<a href="javascript:alert(1)">x</a>',
    "<!-- <script>alert(1)</script> -->",
    "<style>body{background:url(javascript:alert(1))}</style>",
    "<form action=javascript:alert(1)><button>x</button></form>",
    "<base href=javascript:alert(1)//>",
    '<meta http-equiv="refresh" content="0;url=javascript:alert(1)">',
    "<math><mtext><table><mglyph><style><img src=x onerror=alert(1)>",
    "Text[^1]\n\n[^1]: <script>alert(1)</script>[x](javascript:alert(1))",
    'Text[^"><img src=x onerror=alert(1)>]\n\n[^"><img src=x onerror=alert(1)>]: note',
    "Text[^javascript:alert(1)]\n\n[^javascript:alert(1)]: note",
    "| <script>alert(1)</script> | [x](javascript:alert(1)) |\n|---|---|\n| a | b |",
    "> [!TIP]\n> <img src=x onerror=alert(1)>[x](javascript:alert(1))",
    "```steps\n<img src=x onerror=alert(1)>\n[x](javascript:alert(1))\n```",
    "`<script>alert(1)</script>`",
    "&lt;script&gt;alert(1)&lt;/script&gt;",
    "\\<script>alert(1)\\</script>",
    "[<img src=x onerror=alert(1)>](https://example.org)",
    "[x](https://example.org)<img src=x onerror=alert(1)>",
]


@pytest.mark.parametrize("text", MARKDOWN_VECTORS)
def test_markdown_specific_vectors_stay_inert(text: str) -> None:
    for media_url in (None, _permissive_media_url):
        output = render_markdown(text, media_url=media_url)
        assert unsafe_parts(output) == [], output
        assert "javascript:" not in html.unescape(_attribute_values(output)).lower()


def _attribute_values(output: str) -> str:
    return " ".join(re.findall(r'="([^"]*)"', output))


def test_no_url_is_fetched_while_rendering(monkeypatch: pytest.MonkeyPatch) -> None:
    import socket
    import urllib.request

    def refuse(*args, **kwargs):
        raise AssertionError("the renderer must never fetch a URL")

    monkeypatch.setattr(socket, "create_connection", refuse)
    monkeypatch.setattr(urllib.request, "urlopen", refuse)
    output = render("![x](http://127.0.0.1:1/x.png) [y](https://example.org/)")
    assert "127.0.0.1" not in output


def test_media_url_output_is_still_sanitised() -> None:
    output = render_markdown(
        "![x](pic.png) [y](doc.pdf)", media_url=lambda p: "javascript:alert(1)"
    )
    assert unsafe_parts(output) == []
    assert "javascript" not in output


@pytest.mark.parametrize(
    "bad",
    [
        '<a href="javascript:alert(1)">x</a>',
        '<a href="jav&#x09;ascript:alert(1)">x</a>',
        '<a href="DATA:text/html,x">x</a>',
        '<img src="vbscript:x">',
        "<img src=x onerror=alert(1)>",
        "<p style='color:red'>x</p>",
        '<p class="evil">x</p>',
        '<li id="main">x</li>',
        "<svg></svg>",
        "<IFRAME></IFRAME>",
        '<img alt="<script>">',
    ],
)
def test_the_inspector_itself_catches_unsafe_html(bad: str) -> None:
    assert unsafe_parts(bad) != []


@pytest.mark.parametrize(
    "text",
    [
        "[" * 20_000,
        "![" * 5_000 + "<script>alert(1)</script>",
        "".join("  " * i + "- x\n" for i in range(600)),
        "> " * 600 + "x",
    ],
    ids=["brackets", "image brackets", "deep list", "deep quote"],
)
def test_pathological_markdown_is_shown_as_plain_text_quickly(text: str) -> None:
    started = time.perf_counter()
    output = render_markdown(text)
    assert time.perf_counter() - started < 2
    assert output.startswith("<p>") and unsafe_parts(output) == []
    assert markdown_references(text) == []
    assert (1, "this text is too complex (more than 1000 '[' or nested too deeply) "
               "and is shown as plain text") in markdown_warnings(text)  # fmt: skip


def test_normal_nesting_renders() -> None:
    nested = "".join("    " * i + "- level\n" for i in range(MAX_NESTING))
    assert render_markdown(nested).count("<ul>") == MAX_NESTING
    assert render_markdown("> " * MAX_NESTING + "x").count("<blockquote>") == MAX_NESTING
    code = "```\n" + " " * 200 + "deep code\n```"
    assert render_markdown(code).startswith("<pre><code>")


def test_a_normal_number_of_links_renders() -> None:
    text = " ".join(f"[link {n}](https://example.org/{n})" for n in range(MAX_BRACKETS))
    assert render_markdown(text).count("<a ") == MAX_BRACKETS
