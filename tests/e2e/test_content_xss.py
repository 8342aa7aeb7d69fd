"""XSS in a real browser: every corpus payload and Markdown-specific vector, rendered and poked.

Modules whose pages, titles, summaries and tags carry the 286 payloads of
`tests/data/xss/payloads.txt` (as text, link text, image alt, link title, table cell,
footnote and call-out) plus our own Markdown vectors go through the real pipeline (rendered
once into a version, stored, served by the reader; and live in the editor's preview). Chromium
opens every page as a learner and as an admin with `alert/confirm/prompt/print` and a global
`xss` marker hooked before any page script, fires events on every element, clicks every
element and link (the default action of ordinary links and forms is cancelled so the page
stays; any other link is left to act), and the test asserts that nothing ran, no CSP violation
was reported, nothing was loaded from another site and no link leads to a script URL.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from app.content.media_files import store_media
from app.content.models import Module, ModuleDraft, ModuleStatus
from app.content.module_format import VariantSource, split_pages
from app.content.versions import add_version
from app.extensions import db
from app.people.models import Role
from app.timekeeping.clock import now
from tests.conftest import TEST_DATA
from tests.content.builders import tiny_png
from tests.e2e.browser import assert_no_csp_violations, sign_in
from tests.factories import PASSWORD, make_org, make_user

pytestmark = pytest.mark.browser

PAYLOADS = (TEST_DATA / "xss" / "payloads.txt").read_text(encoding="utf-8").splitlines()

# Markdown-specific vectors: link and image URLs in many encodings, reference links, autolinks,
# raw HTML blocks, titles and alt text, tables, footnotes, attribute lists, call-outs, steps.
MARKDOWN_VECTORS = [
    "[plain](javascript:alert('md1'))",
    "[upper](JAVASCRIPT:alert('md2'))",
    "[spaces](   javascript:alert('md3'))",
    "[tab entity](jav&#x09;ascript:alert('md4'))",
    "[decimal tab](jav&#9;ascript:alert('md5'))",
    "[newline entity](jav&#x0A;ascript:alert('md6'))",
    "[decimal j](&#106;avascript:alert('md7'))",
    "[hex j](&#x6A;avascript:alert('md8'))",
    "[padded](&#0000106;avascript:alert('md9'))",
    "[colon entity](javascript&colon;alert('md10'))",
    "[colon hex](javascript&#x3A;alert('md11'))",
    "[double encoded](javascript&amp;#58;alert('md12'))",
    "[percent](%6Aavascript:alert('md13'))",
    "[backslash](java\\script:alert('md14'))",
    "[angle](<javascript:alert('md15')>)",
    "[vbscript](vbscript:msgbox('md16'))",
    "[data html](data:text/html;base64,PHNjcmlwdD5hbGVydCgnbWQxNycpPC9zY3JpcHQ+)",
    "[data plain](data:text/html,<script>alert('md18')</script>)",
    "[with title](javascript:alert('md19') \"title\")",
    "[quote break](https://example.org/\" onmouseover=\"alert('md20'))",
    '[title break](https://example.org "t\\" onmouseover=\\"alert(\'md21\')")',
    "[fragment break](#\" onclick=\"alert('md22'))",
    "[protocol relative](//evil.example/md23)",
    "[backslash host](/\\evil.example/md24)",
    "[js comment](javascript://%0aalert('md25'))",
    "[file](file:///etc/passwd)",
    "[unicode](javascript\u2028:alert('md27'))",
    "[control](java\u0001script:alert('md28'))",
    "[nul entity](java&#0;script:alert('md28b'))",
    "![img js](javascript:alert('md29'))",
    "![img data svg](data:image/svg+xml;base64,PHN2ZyBvbmxvYWQ9YWxlcnQoJ21kMzAnKT4=)",
    "![alt\" onerror=\"alert('md31')](media/pic.png)",
    '![alt](media/pic.png "t\\" onerror=\\"alert(\'md32\')")',
    "![alt](media/pic.png\" onerror=\"alert('md33'))",
    "![<img src=x onerror=alert('md34')>](media/pic.png)",
    "![internet](https://example.org/md35.png)",
    "![hash](media/pic.png#\"onload=\"alert('md36'))",
    "![video\" onloadstart=\"alert('md37')](media/clip.mp4)",
    "[ref one][r1]\n\n[r1]: javascript:alert('md38')",
    "[ref two][r2]\n\n[r2]: <javascript:alert('md39')> \"t\"",
    '[ref three][r3]\n\n[r3]: https://example.org "t\\" onclick=\\"alert(\'md40\')"',
    "![ref image][r4]\n\n[r4]: javascript:alert('md41')",
    "[r5]\n\n[r5]: &#106;avascript:alert('md42')",
    "<javascript:alert('md43')>",
    "<https://example.org/\"onmouseover=\"alert('md44')>",
    "<mailto:a@example.org?body=<script>alert('md45')</script>>",
    "<a@example.org>",
    "https://example.org/<script>alert('md47')</script>",
    "<div onmouseover=\"alert('md48')\">raw div</div>",
    "<script>alert('md49')</script>",
    "<iframe src=\"javascript:alert('md50')\"></iframe>",
    "<svg><script>alert('md51')</script></svg>",
    "<style>*{background:url(javascript:alert('md52'))}</style>",
    "<!-- <script>alert('md53')</script> -->",
    "<details open ontoggle=alert('md54')>x</details>",
    "<math><mtext><table><mglyph><style><img src=x onerror=alert('md55')>",
    "<a href=\"javascript:alert('md56')\">raw link</a>",
    "<img src=x onerror=alert('md57')>",
    "<form action=javascript:alert('md58')><button>go</button></form>",
    "<object data=\"javascript:alert('md59')\"></object>",
    "<base href=\"javascript:alert('md60')//\">",
    "| <img src=x onerror=alert('md61')> | [a](javascript:alert('md62')) |\n|:--|--:|\n"
    "| ![a](javascript:alert('md63')) | <b onmouseover=alert('md64')>b</b> |",
    "| a | b |\n|---|---|\n| c\" onmouseover=\"alert('md65') | d |",
    "Footnote[^1] and another[^x\" onclick=\"alert('md66')].\n\n"
    "[^1]: <script>alert('md67')</script> [x](javascript:alert('md68'))\n\n"
    "[^x\" onclick=\"alert('md66')]: text",
    "### Heading {: onclick=\"alert('md69')\" }",
    "[attr](https://example.org){: onclick=\"alert('md70')\" }",
    "Paragraph with attributes\n{: onmouseover=\"alert('md71')\" #id .cls }",
    "Text {#x .y onclick=alert('md72')}",
    "> [!TIP]\n> <script>alert('md73')</script> [x](javascript:alert('md74'))",
    "> [!<img src=x onerror=alert('md75')>]\n> quoted",
    "```steps\n<img src=x onerror=alert('md76')>\n[a](javascript:alert('md77'))\n```",
    "```html\n<script>alert('md78')</script>\n```",
    "`<img src=x onerror=alert('md79')>`",
    "&lt;script&gt;alert('md80')&lt;/script&gt;",
    "### <img src=x onerror=alert('md81')>",
    "- [list](javascript:alert('md82'))\n- <img src=x onerror=alert('md83')>",
    "1. [ordered](vbscript:alert('md84'))",
    "**[bold](javascript:alert('md85'))** _<i onmouseover=alert('md86')>x</i>_",
    "[nested [brackets]](javascript:alert('md87'))",
    "[![image link](media/pic.png)](javascript:alert('md88'))",
    "[mail](mailto:a@example.org\" onclick=\"alert('md89'))",
    "[tel](tel:+41000000000\" onclick=\"alert('md90'))",
]

INIT_SCRIPT = """
(() => {
  const hits = [];
  Object.defineProperty(window, '__xssHits', {value: hits});
  for (const name of ['alert', 'confirm', 'prompt', 'print']) {
    const hook = function (...args) { hits.push(name + '(' + args.map(String).join(',') + ')'); };
    Object.defineProperty(window, name, {value: hook, writable: false, configurable: false});
  }
  Object.defineProperty(window, 'xss', {
    get() { hits.push('xss marker read'); return 1; },
    set(value) { hits.push('xss marker set'); },
  });
  document.addEventListener('securitypolicyviolation', (event) => {
    hits.push('csp: ' + event.violatedDirective + ' ' + event.blockedURI);
  }, true);
})();
"""

POKE_SCRIPT = """
async () => {
  // Links to ordinary addresses and the site's own forms must not take the page away: their
  // default action is cancelled. Any other link (javascript:, data:, ...) is left to act.
  document.addEventListener('click', (event) => {
    const link = event.target.closest && event.target.closest('a');
    if (link && /^(https?|mailto|tel):$/.test(link.protocol)) { event.preventDefault(); }
  }, true);
  document.addEventListener('submit', (event) => event.preventDefault(), true);
  const events = ['mouseover', 'mouseenter', 'mousemove', 'mousedown', 'mouseup', 'mouseout',
    'pointerover', 'pointerdown', 'pointerup', 'focus', 'focusin', 'blur', 'keydown', 'keyup',
    'input', 'change', 'toggle', 'error', 'load', 'animationstart', 'animationend',
    'transitionend', 'loadstart', 'play', 'canplay', 'scroll', 'wheel', 'copy', 'paste',
    'dragstart', 'drop', 'touchstart', 'contextmenu', 'dblclick'];
  const elements = [...document.querySelectorAll('main, main *')];
  for (const el of elements) {
    for (const type of events) {
      try { el.dispatchEvent(new Event(type, {bubbles: true, cancelable: true})); } catch (e) {}
    }
    try { el.dispatchEvent(new MouseEvent('mouseover', {bubbles: true})); } catch (e) {}
    if (typeof el.focus === 'function') { try { el.focus(); } catch (e) {} }
    if (typeof el.click === 'function') { try { el.click(); } catch (e) {} }
  }
  const hrefs = [...document.querySelectorAll('a')].map(
    (a) => a.getAttribute('href') === null ? null : a.href);
  for (const a of document.querySelectorAll('a')) { try { a.click(); } catch (e) {} }
  await new Promise((resolve) => setTimeout(resolve, 50));
  return hrefs;
}
"""

SAFE_SCHEMES = ("http:", "https:", "mailto:", "tel:")


def _snippets() -> list[str]:
    """Every payload in several Markdown contexts, then the Markdown vectors."""
    snippets: list[str] = []
    for n, payload in enumerate(PAYLOADS, 1):
        cell = payload.replace("|", "\\|")
        snippets += [
            payload,
            f"[{payload}](https://example.org/p{n})",
            f"![{payload}](media/pic.png)",
            f'[title {n}](https://example.org/t{n} "{payload}")',
            f"| {cell} | x |\n|---|---|\n| y | {cell} |",
        ]
        if n % 10 == 0:
            snippets.append(f"Note[^n{n}].\n\n[^n{n}]: {payload}")
            snippets.append(f"> [!WARNING]\n> {payload}")
    return snippets + MARKDOWN_VECTORS


def _bodies(pages_per_module: int = 8, modules: int = 4) -> list[str]:
    """Spread the snippets over a few modules of a few long pages each."""
    snippets = _snippets()
    per_page = -(-len(snippets) // (pages_per_module * modules))
    bodies = []
    for m in range(modules):
        pages = []
        for p in range(pages_per_module):
            start = (m * pages_per_module + p) * per_page
            chunk = snippets[start : start + per_page]
            if not chunk:
                break
            title_payload = PAYLOADS[(m * pages_per_module + p) % len(PAYLOADS)].replace("\n", " ")
            pages.append(f"## Page {p + 1} {title_payload}\n\n" + "\n\n".join(chunk))
        bodies.append("\n\n".join(pages) + "\n")
    return bodies


def _variant(slug: str, body: str, n: int) -> VariantSource:
    title = f"XSS {n} {PAYLOADS[n]}"[:200]
    return VariantSource(
        id=slug,
        language="fr",
        path=Path("index.fr.md"),
        title=title,
        summary=PAYLOADS[-n - 1][:1000],
        provider="ju-it",
        minutes=5,
        tags=[PAYLOADS[n + 10][:50], "<script>alert('tag')</script>"],
        version_note=PAYLOADS[n + 20],
        valid_days=None,
        source_language="fr",
        revision=1,
        translates=None,
        refresher_of=None,
        body_markdown=body,
        pages=split_pages(body, title=title),
        content_hash=hashlib.sha256(body.encode()).hexdigest(),
        media_paths=("media/pic.png", "media/clip.mp4"),
    )


def _build_library(org: Any, admin: Any, upload_path: Path) -> list[tuple[str, int, int]]:
    """Publish the XSS modules (two versions of the first, for a diff) and a big draft."""
    folder = upload_path / "content"
    folder.mkdir(parents=True, exist_ok=True)
    fake_mp4 = b"\x00\x00\x00\x18ftypmp42\x00\x00\x00\x00mp42isom" + b"\x00" * 64
    built = []
    for n, body in enumerate(_bodies()):
        slug = f"xss-{n + 1}"
        module = Module(
            slug=slug,
            provider_id=org.provider.id,
            source_language="fr",
            status=ModuleStatus.DRAFT,
        )
        db.session.add(module)
        db.session.flush()
        media = {
            "media/pic.png": store_media(
                db.session, module, data=tiny_png(), path="media/pic.png", folder=folder, now=now()
            ),
            "media/clip.mp4": store_media(
                db.session, module, data=fake_mp4, path="media/clip.mp4", folder=folder, now=now()
            ),
        }
        variant = _variant(slug, body, n)
        add_version(
            db.session,
            module,
            {"fr": variant},
            media_by_path=media,
            is_major=True,
            change_note=PAYLOADS[n],
            actor=admin,
            now=now(),
        )
        if n == 0:
            second = body.replace("## Page 1 ", "## Page 1 changed ", 1) + "\n\nEnd.\n"
            add_version(
                db.session,
                module,
                {"fr": _variant(slug, second, n)},
                media_by_path=media,
                is_major=False,
                change_note=PAYLOADS[-1],
                actor=admin,
                now=now(),
            )
            db.session.add(
                ModuleDraft(
                    module_id=module.id,
                    language="fr",
                    title=variant.title,
                    summary=variant.summary,
                    tags=variant.tags,
                    minutes=5,
                    revision=1,
                    markdown=body,
                    updated_by_id=admin.id,
                    updated_at=now(),
                )
            )
        built.append((slug, module.id, len(variant.pages)))
    db.session.commit()
    return built


@pytest.fixture
def app_config(app_config, tmp_path):
    app_config["UPLOAD_PATH"] = str(tmp_path / "uploads")
    return app_config


def _poke(page: Any, url: str, state: dict[str, Any], *, live_preview: bool = False) -> list[str]:
    """Open `url`, fire events and click everything; return what went wrong."""
    state["allowed"] = url
    response = page.goto(url)
    assert response is not None and response.status == 200, url
    if live_preview:  # make the editor fetch the preview and insert it with innerHTML
        page.locator("#markdown").dispatch_event("input")
        page.wait_for_function(
            "() => document.querySelector('#live-preview').dataset.previewState === 'fresh'",
            timeout=30_000,
        )
    hrefs = page.evaluate(POKE_SCRIPT)
    problems = [f"{url}: {hit}" for hit in page.evaluate("() => window.__xssHits")]
    for href in hrefs:
        if href is None or href.startswith(state["base"]) or href.startswith(SAFE_SCHEMES):
            continue
        problems.append(f"{url}: unsafe link {href!r}")
    if page.url.split("#")[0] != url.split("#")[0]:  # following a #fragment is no navigation
        problems.append(f"{url}: navigated to {page.url}")
    return problems


def _open_page(new_page: Any, state: dict[str, Any], **options: Any) -> Any:
    page = new_page(**options)
    page.add_init_script(INIT_SCRIPT)
    page.on("dialog", lambda dialog: (state["dialogs"].append(dialog.message), dialog.dismiss()))

    def on_request(request: Any) -> None:
        if not request.url.startswith(state["base"]):
            state["external"].append(request.url)
        elif request.is_navigation_request() and request.url.split("#")[0] != state["allowed"]:
            state["navigations"].append(request.url)

    page.on("request", on_request)
    return page


def test_no_payload_runs_script_for_learners_or_admins(live_server, new_page, js_errors):
    org = make_org()
    learner = make_user(org.branch_a1, language="fr")
    admin = make_user(org.network, Role.ADMIN, language="fr")
    upload_path = Path(live_server.app.config["UPLOAD_PATH"])
    built = _build_library(org, admin, upload_path)
    base = live_server.url
    assert sum(pages for _, _, pages in built) >= 30
    problems: list[str] = []
    visited = 0
    for who, email in (("learner", learner.email), ("admin", admin.email)):
        state: dict[str, Any] = {"base": base, "navigations": [], "external": [], "dialogs": []}
        page = _open_page(new_page, state)
        state["allowed"] = None
        sign_in(page, base, email, PASSWORD)
        state["navigations"].clear()
        urls = [base + "/modules", base + "/modules?q=xss", base + "/home"]
        for slug, module_id, pages in built:
            urls += [f"{base}/modules/{slug}", f"{base}/modules/{slug}/summary"]
            urls += [f"{base}/modules/{slug}/pages/{n}" for n in range(1, pages + 1)]
            if who == "admin":
                urls += [
                    f"{base}/authoring/modules/{module_id}",
                    f"{base}/authoring/modules/{module_id}/versions",
                    f"{base}/authoring/modules/{module_id}/edit/fr/pages/1",
                ]
        if who == "admin":
            first_id = built[0][1]
            urls += [
                f"{base}/authoring/modules",
                f"{base}/authoring/modules/{first_id}/diff?old=1&new=2&lang=fr",
            ]
        for url in urls:
            problems += _poke(page, url, state)
            visited += 1
        if who == "admin":
            editor = f"{base}/authoring/modules/{built[0][1]}/edit/fr"
            problems += _poke(page, editor, state, live_preview=True)
            visited += 1
        problems += [f"{who}: dialog {m!r}" for m in state["dialogs"]]
        problems += [f"{who}: request to another site {u}" for u in state["external"]]
        problems += [f"{who}: navigation to {u}" for u in state["navigations"]]
    print(
        f"XSS corpus: {len(PAYLOADS)} payloads, {len(MARKDOWN_VECTORS)} Markdown vectors, "
        f"{visited} pages poked"
    )
    assert problems == [], "\n".join(problems[:50])
    assert_no_csp_violations(js_errors)


def test_the_harness_catches_script_in_an_unsanitised_page(live_server, new_page, js_errors):
    """Control: store HTML that skipped the sanitiser; the same checks must report it."""
    js_errors.expected = True  # CSP refusals are logged on purpose here
    org = make_org()
    admin = make_user(org.network, Role.ADMIN, language="fr")
    built = _build_library(org, admin, Path(live_server.app.config["UPLOAD_PATH"]))
    module = db.session.scalar(select(Module).where(Module.slug == built[1][0]))
    page_row = module.current_version.variants[0].pages[0]
    page_row.html = (
        "<img src=x onerror=\"alert('bad')\"><a href=\"javascript:alert('bad link')\">bad link</a>"
    )
    db.session.commit()
    url = f"{live_server.url}/modules/{built[1][0]}/pages/1"
    found = {}
    for csp in ("enforced", "bypassed"):
        state: dict[str, Any] = {
            "base": live_server.url,
            "navigations": [],
            "external": [],
            "dialogs": [],
        }
        page = _open_page(new_page, state, bypass_csp=csp == "bypassed")
        state["allowed"] = None
        sign_in(page, live_server.url, admin.email, PASSWORD)
        found[csp] = _poke(page, url, state)
    assert any("csp: script-src" in p for p in found["enforced"]), found
    assert any("alert(bad)" in p for p in found["bypassed"]), found
    assert any("alert(bad link)" in p for p in found["bypassed"]), found
    assert any("unsafe link" in p and "javascript:" in p for p in found["enforced"]), found
